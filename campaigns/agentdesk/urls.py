"""The agent's page, mounted at /agent/ by switchboard/urls.py."""

from django.contrib.auth.views import LoginView
from django.urls import path

from campaigns.agentdesk import views

app_name = "agentdesk"

urlpatterns = [
    path("", views.page, name="page"),
    # Agents are not staff: they log in here, not through the admin's login.
    path("login/", LoginView.as_view(template_name="agentdesk/login.html",
                                     next_page="/agent/"), name="login"),
    path("data.json", views.data, name="data"),
    path("disposition/", views.dispose, name="dispose"),
    path("intent/", views.intent, name="intent"),
]
