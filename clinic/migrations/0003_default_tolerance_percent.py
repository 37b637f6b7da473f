# Written by hand: the clinic's default tolerance for a fixed interval (plans.engine).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0002_calendar_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='clinicsettings',
            name='default_tolerance_percent',
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text='How far a session may move either side of a fixed interval whose protocol gives no "±N days", as a share of the interval: at least 1 day, at most 14; 0 for none. An interval range is its own window.',
                verbose_name='default tolerance (%)',
            ),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(
                condition=models.Q(('default_tolerance_percent__gte', 0), ('default_tolerance_percent__lte', 100)),
                name='clinic_settings_tolerance_0_to_100_percent',
            ),
        ),
    ]
