from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "edgate.audit"
    label = "audit"

    def ready(self) -> None:
        from edgate.core.flowview import flow_adopted, flow_refused

        from .refusals import record_flow_adopted, record_flow_refused

        flow_refused.connect(record_flow_refused, dispatch_uid="edgate.audit.flow_refused")
        flow_adopted.connect(record_flow_adopted, dispatch_uid="edgate.audit.flow_adopted")
