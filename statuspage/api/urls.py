from django.urls import path

from statuspage.api import views

urlpatterns = [
    path("incidents/", views.incidents, name="api-incidents"),
    path("incidents/<str:incident_id>/updates/", views.incident_updates, name="api-incident-updates"),
    path("components/", views.components, name="api-components"),
    path("components/<slug:key>/", views.component, name="api-component"),
    path("config/", views.config, name="api-config"),
]
