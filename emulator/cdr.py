"""mod_json_cdr and mod_xml_cdr: each leg's CDR posted over HTTP as FreeSWITCH 1.10 does.

Off by default; configured per node (`Node(cdr=[...])` or the `configure_cdr` operation) with
one entry per module, using the modules' own setting names. What the captures (36-42d, fixtures
README "CDR posts") and the modules' source show, modelled here:

1. Each leg is posted by each configured module, JSON before XML (load order), from the
   channel's reporting state: CHANNEL_HANGUP_COMPLETE (and CHANNEL_DESTROY) are held back until
   every module that posts in the session's thread has finished, retries included, so a slow or
   dead endpoint delays them (42: 8 s with `retries=2`, `delay=2`). The channel stays listed in
   `show channels` meanwhile. BACKGROUND_JOB of a failed originate does not wait (42d).
2. `queue-capacity` (mod_json_cdr only) posts from a thread of its own instead: nothing is held
   back (42b); a full queue writes the CDR to err-log-dir at once.
3. `retries` + 1 tries, `delay` seconds apart, `timeout` seconds each; any status outside
   200-299 is a failure (401 included, 42d). After the last try the CDR goes to `err-log-dir`:
   `<uuid>.cdr.json` (the JSON plus a newline) and `[a_]<uuid>.cdr.xml` (the URL-encoded XML,
   no `cdr=`, no newline), conventionally in `.../cdr-err/json_cdr` and `.../cdr-err/xml_cdr`.
   Nothing ever re-posts them.
4. Encodings: JSON `encode=false` (the JSON, application/json), `true` (`cdr=` + form-encoding
   that leaves existing `%XX` alone: with `encode-values=true` one decoding gives raw CR/LF in
   strings, the trap of 42c); XML `true` (`cdr=` + URL-encoded XML, values double-encoded),
   `textxml` (the XML, text/xml), `false` (`cdr=` + raw XML, x-www-form-plaintext). XML values
   are URL-encoded inside the XML whatever `encode` says.
5. `?uuid=<uuid>` is appended to the URL (xml_cdr: `a_<uuid>` for leg A with `prefix-a-leg`),
   `&` when the URL has a `?` already; basic auth from `cred` sent pre-emptively.
"""

from __future__ import annotations

import base64
import concurrent.futures
import http.client
import json
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import asyncio

    from emulator.channel import Channel


class CdrHost(Protocol):
    """What the CDR modules need of their node (the node composes them, never the reverse)."""

    name: str
    core_uuid: str
    loop: asyncio.AbstractEventLoop

log = logging.getLogger(__name__)

# switch_url_encode's unsafe characters (plus controls and anything outside ASCII).
_UNSAFE = set(" \"#%&+:;<=>?@[\\]^`{|}")
_HEX2 = re.compile(r"%[0-9A-Fa-f]{2}")
_SDP = ("v=0\r\no=FreeSWITCH 1796150000 1796150001 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\n"
        "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16384 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n")
_DIALSTATUS = {"USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER", "NO_USER_RESPONSE": "NOANSWER",
               "CALL_REJECTED": "CONGESTION", "USER_NOT_REGISTERED": "CHANUNAVAIL"}


def url_encode(text: str, *, double: bool = False) -> str:
    """switch_url_encode: leaves an existing %XX alone unless `double` (switch_url_encode_opt)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and not double and _HEX2.match(text, i):
            out.append(text[i:i + 3])
            i += 3
            continue
        if char in _UNSAFE or ord(char) < 32 or ord(char) > 126:
            out.extend(f"%{byte:02X}" for byte in char.encode())
        else:
            out.append(char)
        i += 1
    return "".join(out)


@dataclass
class CdrModule:
    """One module's settings (json_cdr.conf.xml / xml_cdr.conf.xml names, dashes as _)."""

    module: str  # "json" or "xml"
    url: str
    cred: str = ""  # user:password for basic auth
    encode: str = "false"  # json: false|true ; xml: true|textxml|false
    encode_values: bool = False  # json only
    log_b_leg: bool = True
    prefix_a_leg: bool = False
    retries: int = 2
    delay: float = 2.0
    timeout: float = 5.0
    err_log_dir: str = ""
    queue_capacity: int = 0  # json only: post from a thread of its own

    def __post_init__(self) -> None:
        if self.module not in ("json", "xml"):
            raise ValueError("module must be json or xml")
        allowed = ("false", "true") if self.module == "json" else ("true", "textxml", "false")
        if self.encode not in allowed:
            raise ValueError(f"encode must be one of {allowed} for {self.module}")
        if self.module == "xml" and self.queue_capacity:
            raise ValueError("mod_xml_cdr has no queue-capacity")
        if self.retries < 0 or self.delay < 0 or self.timeout <= 0:
            raise ValueError("retries/delay must be >= 0 and timeout > 0")
        if not self.url.startswith("http://"):
            raise ValueError("url must be http://")

    @property
    def queued(self) -> bool:
        return self.module == "json" and self.queue_capacity > 0


@dataclass
class Post:
    """One CDR ready to send: the request line's path, headers and body, and its backup file."""

    module: CdrModule
    leg_uuid: str
    path: str
    content_type: str
    body: bytes
    file_name: str
    file_body: bytes


@dataclass
class CdrReporter:
    """The CDR modules of one node."""

    node: CdrHost
    modules: list[CdrModule] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every try, for tests
    _pool: concurrent.futures.ThreadPoolExecutor | None = None
    _queue: queue.Queue[Post] | None = None
    _queue_thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return bool(self.modules)

    def configure(self, modules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the modules (an empty list turns CDR posting off)."""
        parsed = [CdrModule(**{k.replace("-", "_"): v for k, v in m.items()}) for m in modules]
        parsed.sort(key=lambda m: m.module != "json")  # load order: JSON, then XML
        self.modules = parsed
        capacity = max((m.queue_capacity for m in parsed if m.queued), default=0)
        if capacity and self._queue is None:
            self._queue = queue.Queue(maxsize=capacity)
            self._queue_thread = threading.Thread(target=self._drain_queue, daemon=True,
                                                  name=f"{self.node.name}-cdr-thread")
            self._queue_thread.start()
        return [m.__dict__ | {"cred": "***" if m.cred else ""} for m in parsed]

    # -- reporting ---------------------------------------------------------------------------

    def report(self, ch: Channel, then: Callable[[], None]) -> None:
        """Post the leg's CDRs; call `then` (HANGUP_COMPLETE, DESTROY) once the held ones end."""
        posts = [p for m in self.modules if m.log_b_leg or not ch.is_b_leg
                 for p in [self.build(m, ch)]]
        held = [p for p in posts if not p.module.queued]
        for post in posts:
            if post.module.queued:
                assert self._queue is not None
                try:
                    self._queue.put_nowait(post)
                except queue.Full:  # "Unable to push cdr to queue": straight to err-log-dir
                    self._write_backup(post)
        if not held:
            then()
            return
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=64, thread_name_prefix=f"{self.node.name}-cdr")
        loop = self.node.loop
        future = loop.run_in_executor(self._pool, self._post_all, held)
        future.add_done_callback(lambda _f: then())

    def _post_all(self, posts: list[Post]) -> None:
        for post in posts:  # one module after the other within a leg
            self._post_with_retries(post)

    def _drain_queue(self) -> None:
        assert self._queue is not None
        while True:
            post = self._queue.get()
            try:
                self._post_with_retries(post)
            except Exception:  # the thread must outlive any one CDR
                log.exception("cdr thread")

    def _post_with_retries(self, post: Post) -> None:
        module = post.module
        for attempt in range(module.retries + 1):
            if attempt:
                time.sleep(module.delay)
            status = self._send(post)
            with self._lock:
                self.sent.append({"module": module.module, "uuid": post.leg_uuid,
                                  "try": attempt + 1, "status": status, "t": time.time()})
            if 200 <= status < 300:
                return
            log.warning("Got error [%s] posting to web server [%s]", status,
                        module.url.split("?")[0])
        self._write_backup(post)

    def _send(self, post: Post) -> int:
        parts = urlsplit(post.module.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                          timeout=post.module.timeout)
        try:
            conn.putrequest("POST", post.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", parts.netloc)
            if post.module.cred:
                token = base64.b64encode(post.module.cred.encode()).decode()
                conn.putheader("Authorization", f"Basic {token}")
            conn.putheader("User-Agent", f"freeswitch-{post.module.module}/1.0")
            conn.putheader("Accept", "*/*")
            conn.putheader("Content-Type", post.content_type)
            conn.putheader("Content-Length", str(len(post.body)))
            conn.endheaders(post.body)
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            return 0  # curl's code 0: refused, reset, timed out
        finally:
            conn.close()

    def _write_backup(self, post: Post) -> None:
        folder = post.module.err_log_dir
        if not folder:
            log.error("Unable to post to web server, no err-log-dir: CDR %s lost", post.leg_uuid)
            return
        path = folder  # e.g. .../cdr-err/json_cdr: the module writes straight into it
        os.makedirs(path, exist_ok=True)
        tmp = os.path.join(path, f".{post.file_name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(post.file_body)
        os.replace(tmp, os.path.join(path, post.file_name))

    # -- documents ---------------------------------------------------------------------------

    def build(self, module: CdrModule, ch: Channel) -> Post:
        """The request (and backup file) one module makes for one leg."""
        variables = cdr_document_variables(ch)
        a_prefix = "a_" if module.prefix_a_leg and not ch.is_b_leg else ""
        parts = urlsplit(module.url)
        query = parts.query + "&" if parts.query else ""  # "&" when the url has a "?" already
        path = f"{parts.path or '/'}?{query}uuid={a_prefix}{ch.uuid}"
        if module.module == "json":
            values = ({k: url_encode(v) for k, v in variables.items()}
                      if module.encode_values else variables)
            doc = self._json_doc(ch, values)
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
            if module.encode == "true":
                body, ctype = "cdr=" + url_encode(text), "application/x-www-form-urlencoded"
            else:
                body, ctype = text, "application/json"
            return Post(module, ch.uuid, path, ctype, body.encode(),
                        f"{a_prefix}{ch.uuid}.cdr.json", (text + "\n").encode())
        xml = self._xml_doc(ch, variables)
        encoded = url_encode(xml, double=True)
        if module.encode == "true":
            body, ctype = "cdr=" + encoded, "application/x-www-form-urlencoded"
        elif module.encode == "textxml":
            body, ctype = xml, "text/xml"
        else:
            body, ctype = "cdr=" + xml, "application/x-www-form-plaintext"
        return Post(module, ch.uuid, path, ctype, body.encode(),
                    f"{a_prefix}{ch.uuid}.cdr.xml", encoded.encode())

    def _json_doc(self, ch: Channel, variables: dict[str, str]) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "core-uuid": self.node.core_uuid,
            "switchname": self.node.name,
            "channel_data": _channel_data(ch),
            "callStats": {},
            "variables": variables,
        }
        if ch.last_app:
            doc["app_log"] = {"applications": [{"app_name": ch.last_app, "app_data": "",
                                                "app_stamp": _usec(ch.created)}]}
        doc["callflow"] = [{"dialplan": "XML", "profile_index": "1",
                            "caller_profile": {"username": "", "dialplan": "XML",
                                               "caller_id_name": ch.cid_name,
                                               "caller_id_number": ch.cid_number,
                                               "destination_number": ch.number,
                                               "uuid": ch.uuid, "chan_name": ch.name},
                            "times": {"created_time": _usec(ch.created),
                                      "answered_time": _usec(ch.answered_at),
                                      "hangup_time": _usec(ch.hangup_at)}}]
        return doc

    def _xml_doc(self, ch: Channel, variables: dict[str, str]) -> str:
        def esc(text: str) -> str:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        lines = ['<?xml version="1.0"?>',
                 f'<cdr core-uuid="{self.node.core_uuid}" switchname="{esc(self.node.name)}">',
                 "  <channel_data>"]
        lines += [f"    <{k}>{esc(v)}</{k}>" for k, v in _channel_data(ch).items()]
        lines += ["  </channel_data>", "  <call-stats></call-stats>", "  <variables>"]
        lines += [f"    <{k}>{url_encode(v)}</{k}>" for k, v in variables.items()
                  if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", k)]
        lines += ["  </variables>"]
        if ch.last_app:
            lines += ["  <app_log>",
                      f'    <application app_name="{esc(ch.last_app)}" app_data="" '
                      f'app_stamp="{_usec(ch.created)}"></application>', "  </app_log>"]
        lines += ["  <callflow>", "    <caller_profile>",
                  f"      <destination_number>{esc(ch.number)}</destination_number>",
                  f"      <uuid>{ch.uuid}</uuid>", "    </caller_profile>", "  </callflow>",
                  "</cdr>"]
        return "\n".join(lines) + "\n"


def cdr_document_variables(ch: Channel) -> dict[str, str]:
    """The leg's variables at reporting time, with the bridge and disposition ones FreeSWITCH
    sets (fixtures README, "Which fields identify our attempt")."""
    variables = ch.all_variables()
    variables.update(ch.cdr_variables(time.time()))
    other = (ch.partner.uuid if ch.partner is not None else "") or ch.history_partner
    if ch.bridged_at and other:
        variables.setdefault("signal_bond", other)
        variables.setdefault("bridge_uuid", other)
        variables.setdefault("last_bridge_to", other)
        variables.setdefault("bridge_hangup_cause", "NORMAL_CLEARING")
    variables["bridge_epoch"] = str(int(ch.bridged_at))
    variables["bridge_uepoch"] = _usec(ch.bridged_at)
    if ch.answered_at:
        variables.setdefault("endpoint_disposition", "ANSWER")
        variables.setdefault("rtp_local_sdp_str", _SDP)  # CR/LF inside a value (42c's trap)
        if not ch.is_b_leg:
            if ch.bridged_at:
                variables.setdefault("originate_disposition", "SUCCESS")
                variables.setdefault("DIALSTATUS", "SUCCESS")
            elif variables.get("originate_disposition"):
                cause = variables["originate_disposition"]
                variables.setdefault("DIALSTATUS", _DIALSTATUS.get(cause, cause))
    return variables


def _channel_data(ch: Channel) -> dict[str, str]:
    return {"state": "CS_REPORTING", "direction": "outbound", "state_number": "11",
            "flags": "0=1;2=1;30=1;40=1;42=1", "caps": "1=1;2=1;3=1;4=1;5=1;6=1;8=1;9=1;10=1"}


def _usec(t: float) -> str:
    return str(int(t * 1_000_000)) if t else "0"
