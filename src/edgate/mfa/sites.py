"""The admin site: django-otp's, which refuses a session that has not passed a second factor.

Every admin user is staff, and staff are privileged (recovery.policy.is_privileged), so the
admin treats an unverified session as it would a non-staff one.
"""

from django_otp.admin import OTPAdminSite


class VerifiedAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        # The default instance keeps the name "admin", so `admin:` URL names resolve as before.
        super().__init__(name)
