"""Imports every package's tables so that the shared metadata is complete (migrations, flush order)."""

import billing.models  # noqa: F401
import campaigns.appointments  # noqa: F401
import campaigns.models  # noqa: F401
import campaigns.portal_models  # noqa: F401
import campaigns.quality_control  # noqa: F401
import campaigns.retention  # noqa: F401
import config.audit  # noqa: F401
import config.secret_checks  # noqa: F401
import dialer.call_models  # noqa: F401
import dialer.desk_models  # noqa: F401
import dialer.models  # noqa: F401
import leads.consent_models  # noqa: F401
import leads.dnc  # noqa: F401
import leads.models  # noqa: F401
import rdv.client_export  # noqa: F401
import rdv.live_models  # noqa: F401
import rdv.models_scale  # noqa: F401
import rdv.models_service  # noqa: F401
import rdv.wakeup_poll  # noqa: F401
import rdv.web.leads_models  # noqa: F401
import rdv.web.models  # noqa: F401
import reports.outbox  # noqa: F401
from config.orm import Base

metadata = Base.metadata
