from django.contrib.admin.apps import AdminConfig


class VerifiedAdminConfig(AdminConfig):
    """The admin site, as one that only a session verified by a second factor may use."""

    default_site = "edgate.mfa.sites.VerifiedAdminSite"
