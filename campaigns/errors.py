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
        super().__init__(_("A {kind} named {name} exists already").format(kind=_(kind), name=name))
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
