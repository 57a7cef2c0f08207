"""OpenID Connect clients in the admin site, written only through `edgate.sso.actions` (the same
actions as `edgate client add|remove`), so every registration and removal is an audit event.

django-oauth-toolkit's own admin pages would write clients and tokens without an audit event:
they are unregistered. Tokens, codes and ID tokens are not shown; keys are managed with
`edgate oidc keys`. A client's redirect URIs are read-only once registered: to change them,
register a new client and remove the old one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken
from oauth2_provider.models import Application as Client
from oauth2_provider.settings import oauth2_settings

from edgate.core.admin import AuditedAdmin
from edgate.directory.models import Application

from . import actions
from .models import ClientApplication

for model in (Client, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

# The request attribute carrying a new client's secret from saving to the page that shows it.
_NEW_CLIENT_ATTR = "_edgate_new_client_secret"


class ClientAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """`edgate client add`'s options as a form; each field is a parameter of do_register_client."""

    application = forms.ModelChoiceField(
        queryset=Application.objects.order_by("code"),
        help_text=gettext_lazy("The agency application people sign in to through this client."),
    )
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line; matched exactly. Production accepts https only."),
    )
    public = forms.BooleanField(
        label=gettext_lazy("Public client"),
        required=False,
        help_text=gettext_lazy(
            "An application that cannot keep a secret (a browser or mobile app): no secret, PKCE only."
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=[(name, name) for name in oauth2_settings.SCOPES if name != "openid"],
        initial=[name for name in oauth2_settings.SCOPES if name != "openid"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "What the client may ask for besides openid (who the person is, and their roles): "
            "profile (User Name and name), email. Tick only what the application needs."
        ),
    )
    first_party = forms.BooleanField(
        label=gettext_lazy("First-party"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "The agency's own application: no consent page. Leave unticked for a vendor's."
        ),
    )

    class Meta:
        model = Client
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True

    def clean_redirect_uris(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["redirect_uris"].splitlines()]
        uris = [line for line in lines if line]
        if not uris:
            raise ValidationError(_("Enter at least one redirect URI."))
        if spaced := [uri for uri in uris if len(uri.split()) > 1]:
            raise ValidationError(_("One URI per line, without spaces: %(uri)s.") % {"uri": repr(spaced[0])})
        return uris

    def _post_clean(self) -> None:
        """The checks `do_register_client` makes (django-oauth-toolkit's), shown on the form."""
        data = self.cleaned_data
        if self.errors or not data.get("name") or not data.get("redirect_uris"):
            return
        candidate = actions.new_client(
            name=data["name"],
            redirect_uris=data["redirect_uris"],
            public=bool(data.get("public")),
            first_party=bool(data.get("first_party")),
        )
        try:
            candidate.full_clean(exclude=["client_secret"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else NON_FIELD_ERRORS, messages)


@admin.register(Client)
class ClientAdmin(AuditedAdmin):
    list_display = [
        "name",
        "client_id",
        "application",
        "client_type",
        "first_party",
        "redirect_uri_list",
        "created",
    ]
    list_filter = ["client_type"]
    search_fields = ["name", "client_id", "edgate__application__code"]
    ordering = ["name"]
    add_fields = ["name", "application", "redirect_uris", "scopes", "public", "first_party"]
    view_fields = [
        "name",
        "client_id",
        "application",
        "client_type",
        "first_party",
        "allowed_scopes",
        "redirect_uri_list",
        "post_logout_redirect_uri_list",
        "created",
    ]
    target = "client"
    add_action = actions.do_register_client
    change_actions = {}  # redirect URIs and the rest are read-only once registered
    delete_action = actions.do_remove_client

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        return super().get_queryset(request).select_related("edgate__application")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.add_fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.view_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = ClientAddForm if obj is None else forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    # --- columns ----------------------------------------------------------------------------
    @staticmethod
    def _link(obj: Client) -> ClientApplication | None:
        try:
            return obj.edgate  # type: ignore[no-any-return]
        except ClientApplication.DoesNotExist:
            return None

    @admin.display(description=gettext_lazy("Application"), ordering="edgate__application__code")
    def application(self, obj: Client) -> str:
        link = self._link(obj)
        return link.application.code if link else "-"

    @admin.display(description=gettext_lazy("First-party"), boolean=True)
    def first_party(self, obj: Client) -> bool | None:
        link = self._link(obj)
        return link.first_party if link else None

    @admin.display(description=gettext_lazy("Scopes"))
    def allowed_scopes(self, obj: Client) -> str:
        link = self._link(obj)
        return link.scopes if link else "-"

    @admin.display(description=gettext_lazy("Redirect URIs"))
    def redirect_uri_list(self, obj: Client) -> str:
        return ", ".join(obj.redirect_uris.split())

    @admin.display(description=gettext_lazy("Post-logout redirect URIs"))
    def post_logout_redirect_uri_list(self, obj: Client) -> str:
        return ", ".join(obj.post_logout_redirect_uris.split()) or "-"

    # --- adding: the secret is shown once, on the response to the save ---------------------
    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if change:
            super().save_model(request, obj, form, change)
            return
        registration: actions.Registration = self._call(
            actions.do_register_client, request, dict(form.cleaned_data)
        )
        obj.pk = registration.client.pk
        obj.client_id = registration.client.client_id
        setattr(request, _NEW_CLIENT_ATTR, registration.client_secret)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        """A confidential client's secret appears on this one page, the answer to the POST; it
        is not put in a message (kept in the session), a URL or a log, and only its hash is kept."""
        secret = getattr(request, _NEW_CLIENT_ATTR, None)
        if not secret:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Client registered: copy its secret now"),
            "opts": self.opts,
            "client": obj,
            "client_secret": secret,
        }
        response = TemplateResponse(request, "sso/admin_client_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response
