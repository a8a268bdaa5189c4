"""SF Fire's call types, priorities and unit types mapped to the codes our CAD speaks.

SF's "Call Type" is a local list; EIDO wants APCO 2.103.2 codes.  Medical and traffic calls are
split by SF's own "Call Type Group" triage, the closest thing the export has to acuity.  A call
type we have no mapping for becomes ``NCRNONE`` ("None - No Code Found"): APCO's own code for
exactly that, rather than a guess; the replay keeps the SF text in the incident narrative.

SF priorities: ``E`` emergency, ``3`` lights and sirens, ``2`` non-emergency; the original
(triage) priority also uses MPDS-like letters ``A``/``B``/``C`` and ``I`` (information).  Our
scale is 1 (most urgent) to 5; anything unknown gets the middle, 3.
"""

from __future__ import annotations

FALLBACK_INCIDENT_TYPE = "NCRNONE"
FALLBACK_PRIORITY = 3

_LIFE_THREATENING = "Potentially Life-Threatening"
_NOT_LIFE_THREATENING = "Non Life-threatening"

CALL_TYPES: dict[str, str] = {
    "Alarms": "ALRF",
    "Structure Fire": "FSTRU",
    "Outside Fire": "FBRUSH",
    "Vehicle Fire": "FVEH",
    "Smoke Investigation (Outside)": "FSMOKE",
    "Other": "FOTHER",
    "Citizen Assist / Service Call": "CITASST",
    "Gas Leak (Natural and LP Gases)": "GASLEAK",
    "Water Rescue": "WATER",
    "Electrical Hazard": "ELECHZD",
    "Elevator / Escalator Rescue": "NCRELEV",
    "Assist Police": "ASSIST",
    "Odor (Strange / Unknown)": "ODOR",
    "Fuel Spill": "HAZMAT",
    "HazMat": "HAZMAT",
    "Explosion": "EXPLOS",
    "Train / Rail Incident": "TRAIN",
    "Train / Rail Fire": "FTRAIN",
    "Marine Fire": "FMARINE",
    "Aircraft Emergency": "AIR",
    "Industrial Accidents": "ACCIND",
    "Confined Space / Structure Collapse": "BLDCLPSE",
    "Extrication / Entrapped (Machinery, Vehicle)": "XTRICATE",
    "High Angle Rescue": "RESCUE",
    "Suspicious Package": "BOMB",
    "Mutual Aid / Assist Outside Agency": "NCRMUAIDF",
    "Watercraft in Distress": "WATER",
    "Oil Spill": "HAZMAT",
    "Lightning Strike (Investigation)": "ELEC",
    "Administrative": "ADMIN",
}

PRIORITIES: dict[str, int] = {
    "E": 1,
    "3": 2,
    "A": 2,
    "B": 3,
    "2": 3,
    "C": 4,
    "1": 4,
    "I": 5,
}

#: SF unit types to the EIDO Emergency Resource Type-Common registry.
UNIT_TYPES: dict[str, str] = {
    "ENGINE": "StructureFireEngineType1",
    "TRUCK": "FireTruckLadder",
    "MEDIC": "GroundALSAmbulance",
    "PRIVATE": "GroundBLSAmbulance",
    "CHIEF": "CommandLevel3",
    "RESCUE CAPTAIN": "CommandLevel3",
    "RESCUE SQUAD": "HeavyRescue",
    "SUPPORT": "MobileSupportVehicle",
    "INVESTIGATION": "Investigator",
    "AIRPORT": "StructureFireEngineType1",
    "BLS": "GroundBLSAmbulance",
}


def incident_type(call_type: str, call_type_group: str | None) -> str:
    """The APCO incident type for an SF call type (and its triage group)."""
    if call_type == "Medical Incident":
        if call_type_group == _LIFE_THREATENING:
            return "ALS"
        if call_type_group == _NOT_LIFE_THREATENING:
            return "BLS"
        return "SICK"
    if call_type == "Traffic Collision":
        return "MVAINJY" if call_type_group == _LIFE_THREATENING else "MVA"
    return CALL_TYPES.get(call_type, FALLBACK_INCIDENT_TYPE)


def priority(sf_priority: str) -> int:
    """Our 1..5 priority for an SF priority value."""
    return PRIORITIES.get(sf_priority.strip().upper(), FALLBACK_PRIORITY)


def unit_type(sf_unit_type: str) -> str | None:
    """The EIDO resource type for an SF unit type, ``None`` if we do not know it."""
    return UNIT_TYPES.get(sf_unit_type.strip().upper())
