"""San Francisco Fire calls-for-service (April 2020): a real workload to replay and report on.

``load_sf_calls(path)`` reads the export into ``SfDispatch`` records; ``sf_ops(records,
commands)`` turns them into the ops our CAD would have produced.  Used by bench/ and the
report tests; the data file is never bundled or read implicitly.
"""

from shared.sfdata.records import SfDataError, SfDispatch, load_sf_calls, parse_sf_calls
from shared.sfdata.replay import sf_ops

__all__ = ["SfDataError", "SfDispatch", "load_sf_calls", "parse_sf_calls", "sf_ops"]
