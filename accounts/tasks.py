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
