"""`{% extends %}` finds a base template's blocks once (core/templatetags/edgate_extends.py)."""

from __future__ import annotations

import pytest
from django.template import Context, Engine
from django.template.base import NodeList
from django.test import Client

from edgate.core.templatetags.edgate_extends import KeptBlocksExtendsNode

TEMPLATES = {
    "root.html": "<t>{% block title %}Root{% endblock %}</t>{% block body %}[{% block inner %}in{% endblock %}]"
    "{% endblock %}{% if x %}{% block tail %}tail{% endblock %}{% endif %}",
    "middle.html": "  {% extends 'root.html' %}{% block title %}Mid {{ block.super }}{% endblock %}"
    "{% block inner %}m{{ block.super }}{% endblock %}",
    "leaf.html": "{% extends 'middle.html' %}{% block inner %}leaf/{{ block.super }}/{{ x }}{% endblock %}"
    "{% block tail %}T{{ block.super }}{% endblock %}",
    "by_variable.html": "{% extends parent %}{% block body %}v{{ block.super }}{% endblock %}",
}


def engines() -> tuple[Engine, Engine]:
    loaders = [
        ("django.template.loaders.cached.Loader", [("django.template.loaders.locmem.Loader", TEMPLATES)])
    ]
    return (
        Engine(loaders=loaders),
        Engine(loaders=loaders, builtins=["edgate.core.templatetags.edgate_extends"]),
    )


@pytest.mark.parametrize("x", ["", "1"])
def test_pages_render_as_with_django_s_extends(x: str) -> None:
    django_s, kept = engines()
    for name in ("root.html", "middle.html", "leaf.html"):
        for _ in range(2):  # the second time from the kept blocks
            assert kept.get_template(name).render(Context({"x": x})) == django_s.get_template(name).render(
                Context({"x": x})
            )
    for engine in (django_s, kept):
        parent = engine.get_template("middle.html")
        assert engine.get_template("by_variable.html").render(Context({"parent": parent, "x": x})) == (
            f"  <t>Mid Root</t>v[min]{'tail' if x else ''}"
        )
    assert isinstance(kept.get_template("leaf.html").nodelist[0], KeptBlocksExtendsNode)


@pytest.mark.django_db
def test_a_page_on_the_base_template_does_not_walk_it_again(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client()
    assert client.get("/login/").status_code == 200  # the first render finds the blocks
    walks = []
    walk = NodeList.get_nodes_by_type

    def counted(self: NodeList, nodetype: type) -> list:
        walks.append(nodetype)
        return walk(self, nodetype)

    monkeypatch.setattr(NodeList, "get_nodes_by_type", counted)
    assert client.get("/login/").status_code == 200
    assert walks == []  # Django's extends: ~130 calls at every render


@pytest.mark.django_db
def test_the_sign_in_page_is_drawn_whole() -> None:
    html = Client().get("/login/").content.decode()
    assert html.count("<main") == 1 and "</footer>" in html and 'name="password"' in html
