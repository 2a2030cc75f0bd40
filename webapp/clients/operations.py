"""Client account state changes; the caller owns the commit."""

from sqlalchemy import func

from ..extensions import db
from ..models import ClientAccount


def display_name_taken(firm_id: int, name: str, exclude_id: int | None = None) -> bool:
    """QBO compares DisplayName without regard to case, so we do too."""
    query = db.select(ClientAccount.id).where(
        ClientAccount.firm_id == firm_id,
        func.lower(ClientAccount.display_name) == name.lower(),
    )
    if exclude_id is not None:
        query = query.where(ClientAccount.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def create_client(
    firm_id: int,
    *,
    display_name: str,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> ClientAccount:
    """Add a client account to the firm.

    Args:
        firm_id: the firm the client belongs to.
        display_name: unique within the firm (case-insensitive), at most 100 characters.
        email: optional contact address.
        phone: optional phone number.
        address: optional postal address.
    """
    client = ClientAccount(
        firm_id=firm_id,
        display_name=display_name.strip(),
        email=email or None,
        phone=phone or None,
        address=address or None,
        active=True,
    )
    db.session.add(client)
    db.session.flush()
    return client


EDITABLE = ("display_name", "email", "phone", "address")


def update_client(client: ClientAccount, **values: str | None) -> dict:
    """Apply the form's values to the client; return the old values of the fields that changed.

    Empty values are stored as None, as create_client does, so "" and None are no change.
    """
    changed = {}
    for name in EDITABLE:
        value = values[name].strip() if name == "display_name" else (values[name] or None)
        if getattr(client, name) != value:
            changed[name] = getattr(client, name)
            setattr(client, name, value)
    return changed
