from django.urls import path

from . import views

app_name = "recovery"
urlpatterns = [
    path("", views.start, name="start"),
    path("with-code/", views.start_with_code, name="with_code"),
    path("<slug:step>/", views.StepView.as_view(), name="step"),
]
