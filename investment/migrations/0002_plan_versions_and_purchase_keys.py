from decimal import Decimal

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import investment.models


def first_plan_version(apps, schema_editor):
    """The plan as the specification states it becomes version 1; older rows point at it."""
    alias = schema_editor.connection.alias
    versions = apps.get_model("investment", "PlanVersion").objects.using(alias)
    subscriptions = apps.get_model("investment", "Subscription").objects.using(alias)
    version = versions.order_by("id").first() or versions.create(note="The plan as first published")
    subscriptions.filter(plan_version__isnull=True).update(plan_version=version)
    for subscription in subscriptions.filter(purchase_key__isnull=True).only("id"):
        subscription.purchase_key = f"legacy:{subscription.id}"
        subscription.save(update_fields=["purchase_key"], using=alias)


class Migration(migrations.Migration):

    dependencies = [
        ('investment', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('minimum_amount', models.DecimalField(decimal_places=6, default=Decimal('50'), max_digits=20, verbose_name='minimum subscription')),
                ('tier_1_max', models.DecimalField(decimal_places=6, default=Decimal('3000'), max_digits=20, verbose_name='tier 1 up to')),
                ('tier_1_rate', models.DecimalField(decimal_places=3, default=Decimal('6'), max_digits=6, verbose_name='tier 1 monthly rate (%)')),
                ('tier_2_max', models.DecimalField(decimal_places=6, default=Decimal('5000'), max_digits=20, verbose_name='tier 2 up to')),
                ('tier_2_rate', models.DecimalField(decimal_places=3, default=Decimal('8'), max_digits=6, verbose_name='tier 2 monthly rate (%)')),
                ('tier_3_rate', models.DecimalField(decimal_places=3, default=Decimal('10'), max_digits=6, verbose_name='tier 3 monthly rate (%)')),
                ('cap_multiple', models.DecimalField(decimal_places=3, default=Decimal('3'), max_digits=6, verbose_name='earnings cap (× amount invested)')),
                ('generation_rates', django.contrib.postgres.fields.ArrayField(base_field=models.DecimalField(decimal_places=3, max_digits=6), default=investment.models.default_generation_rates, size=20, verbose_name='generation rates per level (%), levels 1–20')),
                ('generation_directs', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), default=investment.models.default_generation_directs, size=20, verbose_name='direct referrals required per level, levels 1–20')),
                ('directs_must_be_investors', models.BooleanField(default=False, verbose_name='count only directs who are active investors')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='what changed')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'get_latest_by': 'id',
            },
        ),
        migrations.AddField(
            model_name='subscription',
            name='generation_paid_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='subscription',
            name='purchase_key',
            field=models.CharField(max_length=80, null=True),
        ),
        migrations.AddField(
            model_name='subscription',
            name='plan_version',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='investment.planversion'),
        ),
        migrations.RunPython(first_plan_version, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='subscription',
            name='purchase_key',
            field=models.CharField(max_length=80, unique=True),
        ),
        migrations.AlterField(
            model_name='subscription',
            name='plan_version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='investment.planversion'),
        ),
        migrations.AddIndex(
            model_name='subscription',
            index=models.Index(fields=['user', '-started_at'], name='subscription_user_recent'),
        ),
        migrations.AddIndex(
            model_name='subscription',
            index=models.Index(condition=models.Q(('is_active', True)), fields=['user'], name='subscription_active_user'),
        ),
        migrations.AddIndex(
            model_name='subscription',
            index=models.Index(condition=models.Q(('generation_paid_at__isnull', True)), fields=['id'], name='subscription_generation_owed'),
        ),
        migrations.AddConstraint(
            model_name='subscription',
            constraint=models.CheckConstraint(condition=models.Q(('bonus_used__gte', 0), ('total_earned__gte', 0), ('bonus_used__lte', models.F('amount'))), name='subscription_parts_in_range'),
        ),
        migrations.AddConstraint(
            model_name='subscription',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('completed_at__isnull', True), ('is_active', True)), models.Q(('completed_at__isnull', False), ('is_active', False)), _connector='OR'), name='subscription_completed_iff_inactive'),
        ),
        migrations.AddConstraint(
            model_name='planversion',
            constraint=models.CheckConstraint(condition=models.Q(('minimum_amount__gt', 0)), name='plan_minimum_positive'),
        ),
        migrations.AddConstraint(
            model_name='planversion',
            constraint=models.CheckConstraint(condition=models.Q(('tier_1_max__gte', models.F('minimum_amount')), ('tier_2_max__gt', models.F('tier_1_max'))), name='plan_tiers_ordered'),
        ),
        migrations.AddConstraint(
            model_name='planversion',
            constraint=models.CheckConstraint(condition=models.Q(('tier_1_rate__gt', 0), ('tier_1_rate__lte', 100), ('tier_2_rate__gt', 0), ('tier_2_rate__lte', 100), ('tier_3_rate__gt', 0), ('tier_3_rate__lte', 100)), name='plan_tier_rates_in_range'),
        ),
        migrations.AddConstraint(
            model_name='planversion',
            constraint=models.CheckConstraint(condition=models.Q(('cap_multiple__gt', 0)), name='plan_cap_positive'),
        ),
        migrations.AddConstraint(
            model_name='planversion',
            constraint=models.CheckConstraint(condition=models.Q(('generation_rates__len', 20), ('generation_directs__len', 20)), name='plan_twenty_levels'),
        ),
    ]
