from django.urls import path

from telekam.value import views

app_name = "value"

urlpatterns = [
    path("inputs/", views.inputs, name="inputs"),
]
