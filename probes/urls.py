from django.urls import path

from probes import views

urlpatterns = [
    path("probes/", views.probes, name="api-probes"),
    path("probes/<slug:key>/results/", views.probe_results, name="api-probe-results"),
]
