from celery import shared_task


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def welcome_email_send_task(user_id: int) -> bool:
    from .services import welcome_email_send

    return welcome_email_send(user_id=user_id)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def withdrawal_address_changed_email_task(user_id: int, by_staff: bool) -> bool:
    from .services import withdrawal_address_changed_email

    return withdrawal_address_changed_email(user_id=user_id, by_staff=by_staff)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def two_factor_reset_email_send_task(user_id: int) -> bool:
    from .services import two_factor_reset_email_send

    return two_factor_reset_email_send(user_id=user_id)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def email_link_send_task(user_id: int, address: str, site_url: str) -> bool:
    from .email_address import email_link_send

    return email_link_send(user_id=user_id, address=address, site_url=site_url)


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def email_changed_notice_task(user_id: int, old_address: str) -> bool:
    from .email_address import email_changed_notice

    return email_changed_notice(user_id=user_id, old_address=old_address)
