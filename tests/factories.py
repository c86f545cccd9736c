"""factory_boy factories for tests that need rows without going through the importer."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, Provider, Topic


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("domain",)

    name = factory.Sequence(lambda n: f"Provider {n}")
    domain = factory.Sequence(lambda n: f"provider{n}.example")
    slug = factory.LazyAttribute(lambda p: p.domain.replace(".", "-"))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article number {n}")
    slug = factory.Sequence(lambda n: f"article-number-{n}")
    web_url = factory.Sequence(lambda n: f"https://news.example/{n}/")
    source_key = factory.LazyAttribute(lambda a: a.web_url)
    excerpt = "An excerpt."
    category = "news"
    type = "article"
    published_at = factory.LazyFunction(timezone.now)
    quality = 50
    heat = 10
    is_published = True
    provider = factory.SubFactory(ProviderFactory)
    provider_name = factory.LazyAttribute(lambda a: a.provider.name)
    imported_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


PASSWORD = "correct horse battery"  # every factory user's password


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@newsroom.example")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class._default_manager.create_user(*args, password=PASSWORD, **kwargs)


class EditorFactory(UserFactory):
    """A staff member of the Editors group (which migration 0006 creates)."""

    is_staff = True

    @factory.post_generation
    def in_editors_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name="Editors"))
