"""The agent's page, mounted at /agent/ by switchboard/urls.py."""

from django.urls import path

from campaigns.agentdesk import views

app_name = "agentdesk"

urlpatterns = [
    path("", views.page, name="page"),
    path("data.json", views.data, name="data"),
    path("disposition/", views.dispose, name="dispose"),
    path("intent/", views.intent, name="intent"),
]
