"""HTTP for password recovery: the flow engine's step view, with recovery's declaration."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from edgate.core.flowview import FlowView, start_at

from .steps import GRAPH, State


def start(request: HttpRequest) -> HttpResponse:
    return start_at(request, GRAPH)


def start_with_code(request: HttpRequest) -> HttpResponse:
    return start_at(request, GRAPH, State.CODE)


class StepView(FlowView):
    graph = GRAPH
