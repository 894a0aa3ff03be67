"""CDR endpoint URLs (the `url` of json_cdr.conf.xml and xml_cdr.conf.xml)."""

from django.urls import path

from campaigns.cdr.views import receive_cdr

app_name = "cdr"
urlpatterns = [
    path("json", receive_cdr, {"module": "json"}, name="json"),
    path("xml", receive_cdr, {"module": "xml"}, name="xml"),
]
