from django.urls import path

from telekam.value import views

app_name = "value"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("inputs/", views.inputs, name="inputs"),
    path("accounts/<int:pk>/intangible/", views.sheet_edit, name="sheet_edit"),
    path("intangible/<int:pk>/submit/", views.sheet_submit, name="sheet_submit"),
    path("intangible/<int:pk>/review/", views.sheet_review, name="sheet_review"),
    path("intangible/reviews/", views.reviews, name="reviews"),
    path("accounts/<int:pk>/share/", views.share_edit, name="share_edit"),
]
