from django.contrib import admin

from .models import AsicMiner, NetworkSnapshot


@admin.register(AsicMiner)
class AsicMinerAdmin(admin.ModelAdmin):
    list_display = ("maker", "model", "hashrate_ths", "power_w", "efficiency_j_th", "year", "verified",
                    "updated_at")
    list_filter = ("maker", "verified", "year")
    list_editable = ("verified",)
    search_fields = ("maker", "model")
    ordering = ("maker", "model")


@admin.register(NetworkSnapshot)
class NetworkSnapshotAdmin(admin.ModelAdmin):
    """Written only by the market data refresh; staff read it to see what the calculator used."""

    list_display = ("bucket", "btc_price_usd", "difficulty", "network_hashrate", "avg_fees_btc", "height",
                    "stale")
    date_hierarchy = "bucket"
    ordering = ("-bucket",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
