"""NENA EIDO (NENA-STA-021): incidents exchanged with other agencies' CADs as JSON.

``export_eido(incident, units, agency)`` describes one of our incidents; ``import_eido(doc,
commands)`` turns an EIDO received from elsewhere into the ops creating a new incident.
Schema fragments are never read at runtime: the mapping is code, the tests check it against
the published OpenAPI schema.
"""

from shared.eido.common import Agency, EidoError
from shared.eido.export import EidoExportError, export_eido
from shared.eido.importer import IMPORT_NOTE_PREFIX, ImportPlan, import_eido, plan_import

__all__ = [
    "IMPORT_NOTE_PREFIX",
    "Agency",
    "EidoError",
    "EidoExportError",
    "ImportPlan",
    "export_eido",
    "import_eido",
    "plan_import",
]
