"""The "Editors" group: view and change articles, providers and topics; view the editorial
log and what the change page shows inline. No deleting articles, no managing accounts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
PERMISSIONS = {
    "articles": {
        "article": ["view", "change"],
        "provider": ["view", "change"],
        "topic": ["view", "change"],
        "editorialchange": ["view"],
        "image": ["view"],
        "relateditem": ["view"],
    },
}


def create_editors(apps, schema_editor):
    # Permissions are normally created after the whole migrate run (post_migrate); on a
    # fresh database they do not exist yet at this point, so create them now.
    db = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=db)
        app_config.models_module = None
    grant(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), db)


def grant(Group, Permission, db="default"):
    """Create the group with its permissions (the tests that flush the database call it)."""
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    for app_label, models in PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            permissions = Permission.objects.using(db).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
            if len(permissions) != len(codenames):
                raise RuntimeError(f"missing permissions among {codenames}")
            group.permissions.add(*permissions)
    return group


def remove_editors(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("auth", "Group").objects.using(db).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_editorial_change"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
