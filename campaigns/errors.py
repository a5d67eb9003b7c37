"""Failures of the campaigns package, one class each; the CLI and web map them to clear messages."""

from __future__ import annotations

from config.i18n import _


class ClientNotFound(LookupError):
    """No client has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(_("Unknown client: {name}").format(name=name))
        self.name = name


class CampaignNotFound(LookupError):
    """No campaign has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(_("Unknown campaign: {name}").format(name=name))
        self.name = name


class DuplicateName(ValueError):
    """A client or campaign with this name exists already."""

    def __init__(self, kind: str, name: str) -> None:
        # One sentence per kind: French agrees the article and the participle with the noun.
        message = _("A client named {name} exists already") if kind == "client" else _(
            "A campaign named {name} exists already")
        super().__init__(message.format(name=name))
        self.kind = kind
        self.name = name


class InvalidEmail(ValueError):
    """An e-mail address that mail servers would refuse."""

    def __init__(self, address: str) -> None:
        super().__init__(_("Invalid e-mail address: {address}").format(address=address))
        self.address = address


class UnknownProfile(LookupError):
    """No regulatory calling profile has this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            _("Unknown calling profile: {name} (known: {known})").format(name=name, known=", ".join(known))
        )
        self.name = name


class InvalidWindow(ValueError):
    """A calling window that is not `HH:MM-HH:MM` with the end after the start."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Invalid calling window: {text} (expected e.g. 10:00-13:00)").format(text=text))
        self.text = text


class NeverOpen(ValueError):
    """A calendar that never allows a call in the coming two years."""

    def __init__(self, zone: str) -> None:
        super().__init__(_("No calling time at all in the next two years for time zone {zone}").format(zone=zone))
        self.zone = zone


class UnknownSetting(LookupError):
    """No campaign setting has this key."""

    def __init__(self, key: str, known: list[str]) -> None:
        super().__init__(_("Unknown campaign setting: {key} (known: {known})").format(key=key, known=", ".join(known)))
        self.key = key


class InvalidSetting(ValueError):
    """A value a campaign setting cannot take."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        super().__init__(
            _("Campaign setting {key} cannot be {value}: {reason}").format(key=key, value=value, reason=reason)
        )
        self.key = key
        self.value = value


class InvalidStoredSetting(ValueError):
    """A setting stored before it was validated (or by hand) that is not valid: say how to repair it."""

    def __init__(self, key: str, value: object, reason: str, campaign: str = "") -> None:
        shown = f'"{campaign}"' if campaign else _("CAMPAIGN")
        super().__init__(_("The stored setting {key} = {value} is invalid ({reason}); repair it with: "
                           "rdv campaign set {campaign} {key} VALUE").format(
            key=key, value=value, reason=reason, campaign=shown))
        self.key, self.value, self.reason = key, value, reason


class UnknownDisposition(LookupError):
    """No disposition of the campaign has this code."""

    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(_("Unknown disposition: {code} (known: {known})").format(code=code, known=", ".join(known)))
        self.code = code


class CallbackRefused(ValueError):
    """A personal callback at a time the calendar or the law forbids."""

    def __init__(self, when: str, reason: str) -> None:
        super().__init__(_("Callback at {when} refused: {reason}").format(when=when, reason=reason))
        self.when = when
        self.reason = reason


class AttemptNotFound(LookupError):
    """No attempt has this id."""

    def __init__(self, attempt_id: int) -> None:
        super().__init__(_("Unknown attempt: {id}").format(id=attempt_id))
        self.attempt_id = attempt_id


class LeadNotFound(LookupError):
    """No lead has this id."""

    def __init__(self, lead_id: int) -> None:
        super().__init__(_("Unknown lead: {id}").format(id=lead_id))
        self.lead_id = lead_id


class UnknownOutcome(ValueError):
    """A call outcome the retry policy does not know."""

    def __init__(self, outcome: str) -> None:
        super().__init__(_("Unknown call outcome: {outcome}").format(outcome=outcome))
        self.outcome = outcome


class ScriptNotLoaded(LookupError):
    """A campaign without a script: its RDV sheets have no questions to answer yet."""

    def __init__(self, campaign: str) -> None:
        super().__init__(
            _("Campaign {campaign} has no script yet: load one with `rdv campaign script` and --load").format(
                campaign=campaign
            )
        )
        self.campaign = campaign


class AppointmentNotFound(LookupError):
    """No appointment has this id."""

    def __init__(self, appointment_id: int) -> None:
        super().__init__(_("Unknown appointment: {id}").format(id=appointment_id))
        self.appointment_id = appointment_id


class AppointmentExists(ValueError):
    """The call already produced an appointment (an agent who submits the RDV sheet twice)."""

    def __init__(self, attempt_id: int, appointment_id: int) -> None:
        super().__init__(
            _("Call {attempt} already has appointment {appointment}").format(
                attempt=attempt_id, appointment=appointment_id
            )
        )
        self.attempt_id = attempt_id
        self.appointment_id = appointment_id


class CampaignBlocked(ValueError):
    """A campaign that cannot start: its rules leave no time to call."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(_("Campaign {name} cannot start: {reason}").format(name=name, reason=reason))
        self.name = name
