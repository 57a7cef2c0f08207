"""The admin site writes only through actions.

Each `AuditedAdmin` declares which action writes each field it lets staff edit, and saving,
deleting and many-to-many fields all go through that table: a field missing from it is never
written (and a test fails). Adding or deleting is refused unless an action is named for it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from .context import ctx_from_request

Action = Callable[..., Any]


def parameters(action: Action) -> set[str]:
    return set(inspect.signature(action).parameters)


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Read the actions below through the class (`type(self)`): through an instance, Python would
    # bind a plain function as a method.
    # The action parameter that receives the object being changed or deleted.
    target: ClassVar[str] = ""
    # Writes every field of the add form (each is one of its parameters); None: no adding.
    add_action: ClassVar[Action | None] = None
    # Change form: field → the action that writes it; empty: no changing (view only).
    change_actions: ClassVar[Mapping[str, Action]] = {}
    # None: no deleting.
    delete_action: ClassVar[Action | None] = None

    def action_arguments(self, action: Action, request: HttpRequest) -> dict[str, Any]:
        """What an action needs beyond the form's fields (a reason, a source)."""
        return {}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.add_action is not None and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.change_actions) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.delete_action is not None and super().has_delete_permission(request, obj)

    # --- writing ------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if change:
            self._write_changes(request, obj, form, many_to_many=False)
            return
        add_action = type(self).add_action
        if add_action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no add action")
        saved = self._call(add_action, request, dict(form.cleaned_data))
        obj.pk = saved.pk  # the admin's messages and redirect need it

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        # No form.save_m2m(): the add action wrote the form's many-to-many fields, change actions
        # write them here (after save_model, so one action can take both kinds of field).
        if change:
            self._write_changes(request, form.instance, form, many_to_many=True)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_action = type(self).delete_action
        if delete_action is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no delete action")
        self._call(delete_action, request, {self.target: obj})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def _write_changes(self, request: HttpRequest, obj: Any, form: ModelForm, *, many_to_many: bool) -> None:
        changed = set(form.changed_data)
        if unmapped := changed - set(self.change_actions):
            raise ImproperlyConfigured(f"{type(self).__name__}: no action writes {sorted(unmapped)}")
        for action in dict.fromkeys(self.change_actions.values()):
            fields = [f for f, a in self.change_actions.items() if a is action and f in form.cleaned_data]
            if not changed.intersection(fields) or _any_many_to_many(obj, fields) != many_to_many:
                continue
            if "changes" in parameters(action):  # an action that takes only what changed
                arguments: dict[str, Any] = {
                    "changes": {f: form.cleaned_data[f] for f in fields if f in changed}
                }
            else:
                arguments = {f: form.cleaned_data[f] for f in fields}
            self._call(action, request, {self.target: obj, **arguments})

    def _call(self, action: Action, request: HttpRequest, arguments: dict[str, Any]) -> Any:
        extra = self.action_arguments(action, request)
        return action(**arguments, **extra, ctx=ctx_from_request(request))


def _any_many_to_many(obj: models.Model, fields: list[str]) -> bool:
    return any(obj._meta.get_field(name).many_to_many for name in fields)
