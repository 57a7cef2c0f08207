from django.urls import path

from . import views

app_name = "registration"
urlpatterns = [
    path("", views.start, name="start"),
    path("restart/", views.restart, name="restart"),
    path("case/", views.case_status, name="case_status"),
    path("<slug:step>/", views.StepView.as_view(), name="step"),
]
