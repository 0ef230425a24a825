from django.urls import path

from . import views

app_name = "team"

urlpatterns = [
    path("", views.team, name="home"),
    path("members/", views.team_members, name="members"),
    path("tree/<int:member_id>/", views.team_tree, name="tree"),
]
