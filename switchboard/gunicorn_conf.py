"""gunicorn settings shared by every way of running the web process (Docker, compose, the demo).

Load with ``gunicorn -c python:switchboard.gunicorn_conf switchboard.wsgi``.

The access log format names only what cannot carry a credential. gunicorn's default format
writes ``%(u)s``, the user of a basic-auth header, which it takes as everything before the
first colon: a header without a colon (a password sent alone) lands in the log whole. The
request line (``%(r)s``), the query string (``%(q)s``) and the referrer (``%(f)s``) can carry
a token too, so the log gets the method and the path only, never the query or any header but
the user agent.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
