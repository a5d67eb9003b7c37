"""Imports every package's tables so that the shared metadata is complete (migrations, flush order)."""

import campaigns.models  # noqa: F401
import leads.models  # noqa: F401
import rdv.models_service  # noqa: F401
from config.orm import Base

metadata = Base.metadata
