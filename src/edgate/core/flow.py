"""One engine for every multi-step self-service flow (registration, recovery, set-up, codes).

A flow is declared as data — a `Graph` of `Step`s, each with its form, what it does when
submitted and the steps that may follow — and run by one generic view (core.flowview).

* **Where a flow lives.** A row (core.models.Flow) with a state, encrypted data and an expiry.
  Its id travels in the page: in the URL (`?flow=`) and in a hidden field of every form, so two
  tabs are two flows and never share one person's data. The id alone is not enough: a flow is
  usable only by the session that started it (the session keeps the ids it owns).
* **Who changes the state.** A step's handler edits the flow's data and returns the step to go
  to; the engine checks that step against the declared graph and saves state, data and expiry
  together, inside the handler's transaction, with the row locked (select_for_update). Nothing
  else writes a flow row, so a slow request can never put back data a later one removed.
* **Post/Redirect/Get.** A submission with errors keeps the errors and the non-sensitive values
  typed in the flow row and redirects to the page, which shows them; sensitive fields (SSN,
  passwords, hint answers, codes) are never kept and say they must be typed again.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from . import conf, crypto, throttle
from .context import Ctx, client_ip
from .models import Flow

FLOW_FIELD = "flow"  # the hidden field (and URL parameter) that carries the flow id
PAGE_KEY = "_page"  # flow data: the errors and values of a submission that was refused
MAX_FLOWS_PER_KIND = 5  # per session: a few tabs, not a store for a robot's thousand starts


class TransitionError(Exception):
    """A handler asked for a step its step may not lead to: a programming error, never saved."""


class Refused(Exception):  # noqa: N818 - a refusal, read as a noun like Django's Http404
    """A submission refused before the flow's lock is taken (a throttle): the page shows
    `message` next to `field` (above the form when None), and 429 until `retry_after` passes."""

    def __init__(self, message: str, *, field: str | None = None, retry_after: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after


@dataclass(frozen=True)
class Stay:
    """A handler's answer when the submission is refused inside its transaction (a wrong hint
    answer, a wrong code): what it wrote (the audit event of the failure, and `run.data`) is
    kept, the flow stays where it is, and the page shows `message` next to `field`. `once`:
    only the page the browser is redirected to shows it; a reload shows the step as it is now
    (a paused recovery: "that answer does not match" belongs to the answer just typed, not to
    every later visit)."""

    message: str
    field: str | None = None
    retry_after: int = 0
    once: bool = False


@dataclass
class Run:
    """What a step's handler sees: the flow's id, state and data (a copy it may edit; the engine
    saves it with the new state), the request's context, and what `prepare` computed."""

    flow_id: str
    state: str
    data: dict[str, Any]
    ctx: Ctx
    prepared: Any = None


Prepare = Callable[[Run, dict[str, Any] | None], None]
Handle = Callable[[Run, dict[str, Any] | None], "str | Stay"]


@dataclass(frozen=True)
class Action:
    """What a submission does. `prepare` runs before the flow is locked (throttle counting,
    slow hashing) and may raise Refused; `handle` runs inside the locked transaction and
    returns the next step, or Stay."""

    handle: Handle
    prepare: Prepare | None = None


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    next: frozenset[str] = frozenset()
    form: type[Any] | None = None  # a django.forms.Form
    submit: Action | None = None  # the form's submission
    buttons: Mapping[str, Action] = field(default_factory=dict)  # a named button: no form read
    page: int | None = None  # position in a step indicator
    # Fields never kept for re-display, each with what it says when it must be typed again.
    sensitive: Mapping[str, str] = field(default_factory=dict)
    initial: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The flow data's section that keeps this page's answers (when `initial` shows none of them):
    # back on an answered page, its sensitive fields say they must be typed again.
    kept: str = ""
    form_kwargs: Callable[[Run], dict[str, Any]] | None = None

    @property
    def terminal(self) -> bool:
        return not self.next


@dataclass(frozen=True)
class Graph:
    kind: str
    url_name: str  # a URL pattern taking the step name
    first: str
    steps: Mapping[str, Step]
    templates: str  # template directory: <templates>/<step>.html
    expired: str  # what a person is told when their flow has gone
    pages: tuple[str, ...] = ()  # the steps one may go back along, in order
    context: Callable[[Step, Run], dict[str, Any]] | None = None
    # The row is written when the first page is first submitted, not when it is shown: the
    # page carries a pending id (`pending_id`) that becomes the row's id, so showing page 1
    # writes nothing (no row, no session) and costs a robot's GETs nothing to store.
    create_on_submit: bool = False
    # What a person is told when this browser's flow was handed to another of its sessions (the
    # second click of a double click on page 1, `adopt`) and this one no longer finds it:
    # `expired` when not given.
    elsewhere: str = ""

    def __post_init__(self) -> None:
        for step in self.steps.values():
            unknown = step.next - set(self.steps)
            if unknown:
                raise ValueError(f"{self.kind}: {step.name} leads to undeclared {sorted(unknown)}")

    def step(self, name: str) -> Step | None:
        return self.steps.get(name)

    def can_view(self, name: str, current: str) -> bool:
        """May the page of step `name` be shown or submitted while the flow is at `current`?
        Its own step, or an earlier one of the pages one may go back along."""
        if name == current:
            return True
        pages = self.pages
        return name in pages and current in pages and pages.index(name) < pages.index(current)

    def ahead(self, name: str, current: str) -> bool:
        """Is the page of `name` one the flow has not reached (an attempt to skip a step)? Any
        step from which the flow's current step cannot be reached: a step behind it is what Back
        or the browser's history shows, not a skip."""
        if name == current:
            return False
        seen, todo = {name}, [name]
        while todo:
            for following in self.steps[todo.pop()].next:
                if following == current:
                    return False
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return True

    def check(self, source: str, target: str) -> None:
        if target not in self.steps[source].next:
            raise TransitionError(f"{self.kind}: {source} cannot lead to {target}")

    def url(self, name: str, flow_id: str | None = None) -> str:
        path = reverse(self.url_name, args=[name])
        return f"{path}?{urlencode({FLOW_FIELD: flow_id})}" if flow_id else path


# --- finding, starting and ending flows -------------------------------------------------------


def _owned_key(kind: str) -> str:
    return f"edgate.flows.{kind}"


def owned(request: HttpRequest, kind: str) -> list[str]:
    return list(request.session.get(_owned_key(kind), []))


def start(
    request: HttpRequest, graph: Graph, *, state: str | None = None, data: dict[str, Any] | None = None
) -> Flow:
    """A new flow of `graph`, owned by this session; the oldest of its flows beyond a few go."""
    flow = Flow(kind=graph.kind, state=state or graph.first, expires_at=timezone.now() + ttl())
    flow.browser, flow.address = _browser(request), _address(request)
    flow.data = data or {}
    flow.save()
    _own(request, graph.kind, flow.pk)
    return flow


def _born_key(kind: str) -> str:
    return f"edgate.flows.{kind}.born"


def _own(request: HttpRequest, kind: str, flow_id: str, born: str | None = None) -> None:
    ids = [*owned(request, kind), flow_id]
    if len(ids) > MAX_FLOWS_PER_KIND:
        Flow.objects.filter(pk__in=ids[:-MAX_FLOWS_PER_KIND]).delete()
        ids = ids[-MAX_FLOWS_PER_KIND:]
    request.session[_owned_key(kind)] = ids
    births = {i: t for i, t in request.session.get(_born_key(kind), {}).items() if i in ids}
    if born is not None:
        births[flow_id] = born
    if births or _born_key(kind) in request.session:
        request.session[_born_key(kind)] = births


def _birth(flow: Flow) -> str:
    """When the row was made, to the microsecond: what ties a row made under a pending id to the
    session that made it. A pending id can be offered again once its row is gone (ended, or
    trimmed), and a session may still list it — a stale copy of the session written back by a
    concurrent request (sessions are saved whole, last write wins), or a cache that missed a
    write. A row made again under that id, by another browser, has another birth."""
    return flow.created_at.isoformat()


# --- flows created by their first submission (Graph.create_on_submit) ---------------------------

_PENDING_SALT = "edgate.core.flow.pending"


def _pending_mac(token: str, issued: str) -> str:
    digest = salted_hmac(_PENDING_SALT, f"{token}.{issued}", algorithm="sha256").digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pending_id() -> str:
    """The id of a flow that has no row yet: 144 random bits, when it was issued, and a MAC by
    this site's key ("token.issued.mac", 54 characters). Only an id this site issued, within a
    flow's life, can become a row's id; which session owns the row is decided when it is made."""
    token = secrets.token_urlsafe(18)
    issued = int_to_base36(int(time.time()))
    return f"{token}.{issued}.{_pending_mac(token, issued)}"


def is_pending(flow_id: str | None) -> bool:
    """Was `flow_id` issued by `pending_id` on this site, no longer ago than a flow's life?"""
    parts = (flow_id or "").split(".")
    if len(parts) != 3 or len(flow_id or "") > 64:
        return False
    token, issued, mac = parts
    if not constant_time_compare(mac, _pending_mac(token, issued)):
        return False
    try:
        age = time.time() - base36_to_int(issued)
    except ValueError:
        return False
    return 0 <= age <= ttl().total_seconds()


_FLOW_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # core.models.new_flow_id


def suspicious(graph: Graph, flow_id: str) -> str | None:
    """Why a flow id this session does not own looks like an attempt to get round the flow, or
    None when its flow is only gone (ended or expired: what a person meets by accident, e.g.
    back after their session expired). "forged_id": an id this site never issued (pending ids
    carry a MAC, row ids are 43 URL-safe characters); "not_this_session": the live flow of
    another session."""
    if "." in flow_id:
        parts = flow_id.split(".")
        if len(parts) != 3 or len(flow_id) > 64:
            return "forged_id"
        if not constant_time_compare(parts[2], _pending_mac(parts[0], parts[1])):
            return "forged_id"
    elif not _FLOW_ID.fullmatch(flow_id):
        return "forged_id"
    live = Flow.objects.filter(pk=flow_id, kind=graph.kind, expires_at__gt=timezone.now()).exists()
    return "not_this_session" if live else None


def unsaved(graph: Graph, flow_id: str) -> Flow:
    """The flow a pending id stands for, as its first page shows it: at the first step, no
    data, nothing written, nothing encrypted (`create` encrypts its empty data when it saves)."""
    flow = Flow(id=flow_id, kind=graph.kind, state=graph.first, expires_at=timezone.now() + ttl())
    flow._data = {}
    return flow


def taken(flow_id: str) -> bool:
    """Has a row been made under this pending id already (by this session or another)?"""
    return Flow.objects.filter(pk=flow_id).exists()


def create(request: HttpRequest, graph: Graph, flow_id: str) -> Flow | None:
    """The row of a pending flow, owned by this session; None if that id was taken already
    (a double submission, or a page 1 shared with another browser)."""
    flow = unsaved(graph, flow_id)
    flow.data = {}  # the row's data encrypted, as every row's is
    flow.browser, flow.address = _browser(request), _address(request)
    flow.submission = _submission(request)
    try:
        with transaction.atomic():
            flow.save(force_insert=True)
    except IntegrityError:
        return None
    _own(request, graph.kind, flow.pk, born=_birth(flow))
    return flow


def _browser(request: HttpRequest) -> str:
    """A keyed hash of the browser's CSRF cookie ('' without one): a secret each browser is
    given with the form and sends with every submission, and which another browser, even one
    given the page's address, does not hold."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return crypto.lookup_hash("flow:browser", cookie) if cookie else ""


def _submission(request: HttpRequest) -> str:
    """A keyed hash of everything a page-1 POST carried, fields and values in a fixed order:
    what a double click sends twice alike (the same form, the same masked CSRF token the page was
    rendered with, the same answers), and what no one else can send without having seen that
    submission — a copy of the browser's cookies is not enough."""
    sent = "\n".join(f"{k}={v}" for k, values in sorted(request.POST.lists()) for v in values)
    return crypto.lookup_hash("flow:submission", sent)


def _address(request: HttpRequest) -> str:
    """A keyed hash of the client's address as the per-address limits count it (an IPv6 one by
    its /64), '' without one: the row keeps no address a person could be found by."""
    ip = client_ip(request)
    return crypto.lookup_hash("flow:address", throttle.address_ident(ip)) if ip else ""


# A double click's second submission comes within a second or two of the first: a row older
# than this is no double click's.
ADOPT_WITHIN = timedelta(seconds=10)


def adoptable(graph: Graph) -> frozenset[str]:
    """The states a row may be in to be handed to the second click of a double click on page 1:
    page 1 itself (the first click still at work), or a step page 1 leads to and from which page 1
    can still be submitted again (Back). From those, the second click's own submission of page 1
    runs again, and where the flow goes is decided by what the second click typed: adopting the
    row gives it nothing its own answers would not. Not a step page 1 cannot be submitted from
    again (in registration the outcomes: a Profile to set up, one that exists, a case): there the
    flow would go on from the first click's answers, unchecked against the second's."""
    first = graph.steps[graph.first]
    return frozenset({graph.first} | {s for s in first.next if graph.can_view(graph.first, s)})


@dataclass(frozen=True)
class Adoption:
    """What `adopt` found: the flow handed over, or None and why not (for the audit log:
    "no_row", "used", "other_browser", "other_address", "other_submission", "too_old",
    "too_far")."""

    flow: Flow | None
    refused: str = ""


def adopt(request: HttpRequest, graph: Graph, flow_id: str) -> Adoption:
    """The live row made under this pending id by this same browser in another session a moment
    ago, now owned by this session too — once; else why not.

    A double click on page 1 sends two submissions, and the browser keeps only the answer to
    the second. Before either has an answer the browser has no session yet (showing page 1
    makes none), so each makes its own: the first makes the row, the second finds it taken, and
    the session that owns it is in an answer the browser dropped. Without this, the second
    click's answer was a blank page 1 and what was typed was lost.

    Handed over only to what can be nothing but that second click: the same CSRF cookie (a
    browser's secret, `_browser`) from the same address (`_address`), within ADOPT_WITHIN of the
    row's making, while the flow is at a step from which page 1 is submitted again (`adoptable`),
    the same submission, byte for byte (`_submission`: a double click sends one form twice,
    masked CSRF token and answers alike), and once: the row's `submission` is cleared by the
    UPDATE that takes it, which must change one row (a third click, or anyone else after, is
    refused). A CSRF cookie is not proof enough alone: Django accepts one a client chose, and
    keeps it a year, so another person at the same computer (or one who planted it) may hold
    it; with the same address and within seconds it still was not (review of 2026-12-01: a copy
    of the cookie posted with a page 1 of its own, and was handed a flow the person went on
    with, and set their password). The hand-over is exclusive: the UPDATE also gives the row a
    new birth (`created_at`, `_birth`), so the session of the first click, should its answer
    reach anyone after all, no longer finds the row (`find`)."""
    mine, here, sent = _browser(request), _address(request), _submission(request)
    now = timezone.now()
    live = Flow.objects.filter(pk=flow_id, kind=graph.kind, expires_at__gt=now)
    with transaction.atomic():
        taken = (
            live.filter(
                browser=mine,
                address=here,
                submission=sent,
                created_at__gte=now - ADOPT_WITHIN,
                state__in=adoptable(graph),
            )
            .exclude(browser="")
            .exclude(submission="")
        )
        if taken.update(submission="", created_at=now) != 1:
            return Adoption(None, _why_not(live.first(), mine, here, sent, now))
        flow = live.get()
    _own(request, graph.kind, flow.pk, born=_birth(flow))
    return Adoption(flow)


def _why_not(row: Flow | None, mine: str, here: str, sent: str, now: Any) -> str:
    if row is None:
        return "no_row"
    if not row.submission:
        return "used"
    if not mine or not constant_time_compare(row.browser, mine):
        return "other_browser"
    if not constant_time_compare(row.address, here):
        return "other_address"
    if row.created_at < now - ADOPT_WITHIN:
        return "too_old"
    if not constant_time_compare(row.submission, sent):
        return "other_submission"
    return "too_far"


# How soon a browser that blocks cookies comes back for the flow it was just given (a redirect).
JUST_MADE = timedelta(seconds=60)


def made_here_just_now(request: HttpRequest, graph: Graph, flow_id: str) -> bool:
    """Was the flow `flow_id` made within JUST_MADE by this browser (the same CSRF cookie, or
    none like this request) from this address? What a browser that blocks cookies sends for the
    flow it was given a moment ago; not a flow id taken from anyone else."""
    return Flow.objects.filter(
        pk=flow_id,
        kind=graph.kind,
        browser=_browser(request),
        address=_address(request),
        created_at__gte=timezone.now() - JUST_MADE,
    ).exists()


def held_elsewhere(request: HttpRequest, graph: Graph, flow_id: str | None) -> bool:
    """Is `flow_id` a live flow this browser made under a pending id that was handed to another
    of its sessions (`adopt`: the second click of a double click), so that this session (the
    first click's, or a third click's) cannot have it? Then the person's registration goes on
    where the other session's answer was shown, not "expired". Asked only after `find` and
    `adopt` gave this session nothing. Nothing is said of whose flow, or of any record: only
    this browser (its CSRF cookie, `_browser`) is told, of a flow it made itself."""
    mine = _browser(request)
    if not flow_id or "." not in flow_id or not mine:
        return False
    row = Flow.objects.filter(pk=flow_id, kind=graph.kind, expires_at__gt=timezone.now()).first()
    # A handed-over row's `submission` was cleared by the UPDATE that handed it over; one never
    # handed over still has its first submission's.
    return row is not None and not row.submission and constant_time_compare(row.browser, mine)


def disown(request: HttpRequest, graph: Graph, flow_id: str) -> None:
    """This session no longer owns the flow (the row is left to the others that do)."""
    _disown(request, graph.kind, flow_id)


def find(request: HttpRequest, graph: Graph, flow_id: str | None) -> Flow | None:
    """The flow `flow_id` if this session started it and it has not expired (an expired one is
    removed at once: it may hold an SSN)."""
    if not flow_id or flow_id not in owned(request, graph.kind):
        return None
    flow = Flow.objects.filter(pk=flow_id, kind=graph.kind).first()
    if flow is not None and "." in flow_id:
        # Made under a pending id (the only ids with dots: "token.issued.mac"): ours only if it
        # is the row this session made (see _birth), not one another browser made again under
        # an id this session once held.
        born = request.session.get(_born_key(graph.kind), {}).get(flow_id)
        if born != _birth(flow):
            _disown(request, graph.kind, flow_id)
            return None
    if flow is not None and flow.is_expired:
        flow.delete()
        flow = None
    if flow is None:
        _disown(request, graph.kind, flow_id)
    return flow


def end(request: HttpRequest, graph: Graph, flow_id: str) -> None:
    if flow_id in owned(request, graph.kind):
        _disown(request, graph.kind, flow_id)
        Flow.objects.filter(pk=flow_id, kind=graph.kind).delete()


def _disown(request: HttpRequest, kind: str, flow_id: str) -> None:
    request.session[_owned_key(kind)] = [i for i in owned(request, kind) if i != flow_id]
    births = request.session.get(_born_key(kind))
    if births and flow_id in births:
        request.session[_born_key(kind)] = {i: t for i, t in births.items() if i != flow_id}


def ttl() -> timedelta:
    return conf.get().flow_ttl


def purge_expired() -> int:
    deleted, _ = Flow.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


# --- taking a step ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A refused submission, kept in the flow row until the step is passed: shown by the GET
    the browser is redirected to, so Back and Reload never resubmit anything."""

    step: str
    values: dict[str, str]  # as typed, sensitive fields left out
    retype: list[str]  # sensitive fields that were typed, and must be typed again
    retry_until: float = 0.0  # a throttle's refusal: 429 until then (a POSIX timestamp)
    # The errors in each of the portal's languages, so that switching language on a page with
    # errors shows them in the new one (errors only: never a typed value).
    translated: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    once: bool = False  # shown by one GET, then forgotten (Stay.once; `forget_page`)

    def as_data(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "values": self.values,
            "retype": self.retype,
            "retry_until": self.retry_until,
            "translated": self.translated,
            "once": self.once,
        }

    def errors_now(self) -> dict[str, list[str]]:
        """The errors in the language of this request (the site's first language's if the
        request's is not one of the portal's)."""
        language = translation.get_language() or ""
        for code in (language, language.split("-")[0], settings.LANGUAGE_CODE):
            if code in self.translated:
                return self.translated[code]
        return {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Page | None:
        page = data.get(PAGE_KEY)
        if not page:
            return None
        # A row written before the errors were kept in `translated` alone also has "errors".
        return cls(**{k: v for k, v in page.items() if k != "errors"})


def in_each_language(render: Callable[[], dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """`render` (which reads lazily translated messages) once per language of the portal."""
    rendered = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = render()
    return rendered


def refused_page(
    step: Step,
    typed: Mapping[str, Any],
    errors: Callable[[], dict[str, list[str]]],
    *,
    retry_after: int = 0,
    once: bool = False,
) -> Page:
    """`errors`, a function of the active language (it reads lazily translated messages), is
    kept in every language."""
    translated = in_each_language(errors)
    values = {
        name: str(value)
        for name, value in typed.items()
        if name in _form_fields(step) and name not in step.sensitive and name != FLOW_FIELD
    }
    retype = [name for name in step.sensitive if typed.get(name)]
    retry_until = timezone.now().timestamp() + retry_after if retry_after else 0.0
    return Page(step.name, values, retype, retry_until, translated, once)


def _form_fields(step: Step) -> set[str]:
    form = step.form
    return set(getattr(form, "base_fields", {})) if form is not None else set()


class Gone(Exception):  # noqa: N818
    """The flow expired or was removed between reading it and locking it."""


@dataclass(frozen=True)
class Moved:
    """The flow had moved on when its lock was taken (a double submit, another request)."""

    state: str


def advance(
    graph: Graph,
    flow_id: str,
    step: Step,
    action: Action,
    cleaned: dict[str, Any] | None,
    ctx: Ctx,
    *,
    prepared: Any = None,
    typed: Mapping[str, Any] | None = None,
) -> str | Stay | Moved:
    """Run one submission: lock the row, check the step may still be submitted, call the
    handler, check the step it returns against the graph, save — all in one transaction."""
    with transaction.atomic():
        row = Flow.objects.select_for_update().filter(pk=flow_id, kind=graph.kind).first()
        if row is None or row.is_expired:
            raise Gone
        if not graph.can_view(step.name, row.state):
            return Moved(row.state)
        data = row.data
        data.pop(PAGE_KEY, None)
        run = Run(flow_id=row.pk, state=row.state, data=data, ctx=ctx, prepared=prepared)
        result = action.handle(run, cleaned)
        if isinstance(result, Stay):
            stayed = result

            def errors() -> dict[str, list[str]]:
                return {stayed.field or "__all__": [str(stayed.message)]}

            page = refused_page(step, typed or {}, errors, retry_after=result.retry_after, once=result.once)
            _save(row, row.state, run.data | {PAGE_KEY: page.as_data()})
            return result
        graph.check(step.name, result)
        _save(row, result, run.data)
        return result


def keep_refusal(graph: Graph, flow_id: str, page: Page) -> None:
    """A submission refused before any handler ran (form errors, a throttle): its page is kept
    in the row, under the same lock as any step."""
    with transaction.atomic():
        row = Flow.objects.select_for_update().filter(pk=flow_id, kind=graph.kind).first()
        if row is None or row.is_expired:
            raise Gone
        _save(row, row.state, row.data | {PAGE_KEY: page.as_data()})


def forget_page(graph: Graph, flow_id: str, page: Page) -> None:
    """A page shown once (`Page.once`) has been shown: forgotten, if the row still keeps it."""
    with transaction.atomic():
        row = Flow.objects.select_for_update().filter(pk=flow_id, kind=graph.kind).first()
        if row is None or row.is_expired or row.data.get(PAGE_KEY) != page.as_data():
            return
        _save(row, row.state, {k: v for k, v in row.data.items() if k != PAGE_KEY})


def _save(row: Flow, state: str, data: dict[str, Any]) -> None:
    row.state = state
    row.data = {k: v for k, v in data.items() if k != PAGE_KEY or v}
    row.expires_at = timezone.now() + ttl()  # each step taken extends the flow's life
    row.save(update_fields=["state", "data_ciphertext", "expires_at", "updated_at"])
