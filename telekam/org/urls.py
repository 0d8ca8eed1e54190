from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from telekam.org import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("i18n/setlang/", set_language, name="set_language"),
]
