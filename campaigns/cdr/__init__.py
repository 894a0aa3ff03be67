"""The CDR endpoint FreeSWITCH's mod_json_cdr and mod_xml_cdr post to."""
