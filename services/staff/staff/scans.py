"""The daily scans: certificates about to expire and security acknowledgments that lapsed.

Each announces what it finds once (the store remembers what was announced) and returns
``(event type, [event data])``, ids and dates only.
"""
from datetime import UTC, datetime, time, timedelta

from staff import domain

CERTIFICATE_NOTICE_DAYS = 30


def expiring_certificates(store, today):
    """``staff.certificate_expiring`` data of certificates expiring within 30 days, marked announced."""
    due = [(certificate_id, staff_id, certificate) for certificate_id, staff_id, certificate
           in store.unannounced_certificates(today + timedelta(days=CERTIFICATE_NOTICE_DAYS))
           if domain.certificate_expiring(certificate.expires_on, today, CERTIFICATE_NOTICE_DAYS)]
    store.mark_certificates_announced([certificate_id for certificate_id, _, _ in due])
    return "staff.certificate_expiring", [
        {"staff_id": staff_id, "certificate_code": certificate.code,
         "expires_on": certificate.expires_on.isoformat()} for _, staff_id, certificate in due]


def lapsed_acknowledgments(store, today, settings):
    """``staff.security_acknowledgment_lapsed`` data of acknowledgments no longer current on
    ``today`` (made ``settings.security_acknowledgment_days`` or more days before), marked announced."""
    days = settings.security_acknowledgment_days
    made_before = datetime.combine(today - timedelta(days=days - 1), time(), UTC)
    lapsed = [(staff_id, acknowledgment) for staff_id, at in store.unannounced_lapses(made_before)
              if not (acknowledgment := domain.security_acknowledgment(at, today, days)).current]
    store.mark_lapses_announced([staff_id for staff_id, _ in lapsed])
    return "staff.security_acknowledgment_lapsed", [
        {"staff_id": staff_id, "expired_on": acknowledgment.expires_on.isoformat()}
        for staff_id, acknowledgment in lapsed]
