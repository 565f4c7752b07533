"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from workflow_app.agreements.models import Agreement, Installment  # noqa: F401,E402
from workflow_app.api.models import IdempotencyKey  # noqa: F401,E402
from workflow_app.auth.models import ApiToken, Enterprise, LoginFailure, OrgUnit, Role, User  # noqa: F401
from workflow_app.cases.models import Attachment, Case, CaseNumberSequence, Comment, StoredFile  # noqa: F401
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, Task, Timer  # noqa: F401
from workflow_app.notifications.models import Notification  # noqa: F401,E402
from workflow_app.sla.models import (  # noqa: F401,E402  # noqa: F401,E402
    CalendarDay,
    CalendarYear,
    SlaClock,
    SupervisionNotice,
)
