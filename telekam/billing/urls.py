from django.urls import path

from telekam.billing import views

app_name = "billing"
urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/template.csv", views.template, name="template"),
]
