from django.urls import path

from telekam.accounts.views import accounts, grading, records

app_name = "accounts"
urlpatterns = [
    path("", accounts.my_accounts, name="my_accounts"),
    path("new/", accounts.account_create, name="create"),
    path("<int:pk>/", accounts.account_detail, name="detail"),
    path("<int:pk>/tab/<slug:tab>/", accounts.account_tab, name="tab"),
    path("<int:pk>/edit/", accounts.account_edit, name="edit"),
    path("<int:pk>/assign/", accounts.account_assign, name="assign"),
    path("<int:pk>/parent/", accounts.account_parent, name="parent"),
    path("grading/", grading.key_list, name="key_list"),
    path("grading/generate/", grading.key_list_generate, name="key_list_generate"),
    path("grading/entries/<int:entry>/decide/", grading.key_list_decide, name="key_list_decide"),
    path("grading/<int:year>/approve/", grading.key_list_approve, name="key_list_approve"),
    path("grading/boundary-band/", grading.boundary_band, name="boundary_band"),
    path("proposals/", grading.proposals, name="proposals"),
    path("proposals/<int:pk>/decide/", grading.proposal_decide, name="proposal_decide"),
    path("<int:pk>/propose-grade/", grading.proposal_create, name="proposal_create"),
    path("<int:pk>/team/add/", records.team_add, name="team_add"),
    path("<int:pk>/team/<int:item>/remove/", records.team_remove, name="team_remove"),
    path("<int:pk>/<slug:kind>/add/", records.record_add, name="record_add"),
    path("<int:pk>/<slug:kind>/<int:item>/", records.record_edit, name="record_edit"),
    path("<int:pk>/<slug:kind>/<int:item>/delete/", records.record_delete, name="record_delete"),
]
