import os

from celery import Celery
from celery.signals import worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phonix.settings.local")

app = Celery("phonix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "chain", "payouts")]
app.autodiscover_tasks()


@worker_ready.connect
def worker_ready_checks(**kwargs) -> None:
    from wallet.chain import api_key_warning_log

    api_key_warning_log()
