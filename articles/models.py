"""The newsroom's data: providers, topics, articles, their images and related items.

`Article.objects.published()` is the one rule for what the public may see.
Integrity lives in the database: unique and check constraints, and indexes for the
orderings and filters the pages and the API offer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Editors score from 0 to this; feeds may send more, which is kept as sent.
EDITOR_MAX_QUALITY = 1000


class Provider(models.Model):
    """A publisher of articles, known by its domain."""

    name = models.CharField(max_length=200, help_text="The publisher's name as readers know it.")
    domain = models.CharField(
        max_length=253, unique=True, help_text="The publisher's web domain, e.g. wired.com."
    )
    slug = models.SlugField(max_length=255, unique=True, editable=False)

    class Meta:
        ordering = ["name", "domain"]

    def __str__(self):
        return self.name or self.domain

    def get_absolute_url(self):
        return reverse("articles:provider", kwargs={"slug": self.slug})


class Topic(models.Model):
    """A subject label articles are filed under, e.g. "AI Ethics"."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"slug": self.slug})


class Story(models.Model):
    """One piece of news, as reported by one article or many (from one provider or several).

    Articles are grouped into stories at import (see articles/stories.py); editors may merge
    and split them, and those decisions stick.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    pinned = models.BooleanField(
        default=False,
        help_text="Editors merged articles into it or split one out of it: grouping never "
        "merges it with another pinned story.",
    )

    class Meta:
        verbose_name_plural = "stories"

    def __str__(self):
        return f"Story {self.pk}"


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: every page, feed, sitemap and anonymous API goes here."""
        return self.filter(published_rule())


def published_rule(through: str = "") -> Q:
    """The visibility rule as a condition, for counting an article's published relations:
    `published_rule("articles")` on a Topic or Provider queryset."""
    return Q(**{f"{through}__is_published" if through else "is_published": True})


def with_published_counts(queryset):
    """Topics or providers that have published articles, each with how many (`published`)."""
    published = models.Count("articles", filter=published_rule("articles"))
    return queryset.annotate(published=published).filter(published__gt=0)


class Article(models.Model):
    """A news article from a provider's feed, or an in-house article with a body."""

    class EditorialField(models.TextChoices):
        """Fields editors own: once an editor sets one, imports leave it alone."""

        IS_PUBLISHED = "is_published", "Published"
        QUALITY = "quality", "Quality"
        STORY = "story", "Story"

    slug = models.SlugField(
        max_length=100,
        unique=True,
        editable=False,
        help_text="The article's address on this site; it never changes once given.",
    )
    source_key = models.CharField(
        max_length=2048,
        unique=True,
        editable=False,
        help_text="What identifies the article across imports: its canonical web URL, "
        "else its original URL, else its title.",
    )
    title = models.CharField(max_length=500)
    excerpt = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Markdown; only in-house articles have one.")
    category = models.CharField(max_length=50, blank=True)
    type = models.CharField(max_length=50, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider published it (UTC)."
    )
    original_url = models.URLField(max_length=2000, blank=True)
    web_url = models.URLField(max_length=2000, blank=True)
    amp_url = models.URLField("AMP URL", max_length=2000, blank=True)
    cdn_amp_url = models.URLField("AMP cache URL", max_length=2000, blank=True)
    quality = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=f"Editorial score from 0 to {EDITOR_MAX_QUALITY}; higher ranks first. "
        "Empty: not scored yet.",
    )
    heat = models.IntegerField(
        null=True, blank=True, help_text="Reader interest from the feed; -1: not measured."
    )
    is_published = models.BooleanField(
        "published", default=False, help_text="Only published articles are shown to readers."
    )
    feed_quality = models.PositiveIntegerField(
        null=True,
        editable=False,
        help_text="The quality score the feed gave; empty when it gave none.",
    )
    feed_published = models.BooleanField(
        null=True,
        editable=False,
        help_text="The published flag the feed suggested; empty when it gave none.",
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    provider_name = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The provider's name as this article's feed gave it.",
    )
    topics = models.ManyToManyField(Topic, through="ArticleTopic", related_name="articles")
    story = models.ForeignKey(
        Story,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text="The piece of news it reports, shared with its other coverage; "
        "empty until grouped.",
    )
    is_story_lead = models.BooleanField(
        default=True,
        editable=False,
        help_text="Lists show its story as this article: the story's best published article "
        "by quality, then the newest.",
    )
    story_url = models.CharField(
        max_length=40,
        blank=True,
        editable=False,
        help_text="Hash of the normalised article URL, to find other copies of the article.",
    )
    story_image = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The lead image's file name, when distinctive: coverage sharing a photo.",
    )
    secured = models.TextField(
        blank=True, editable=False, help_text="Opaque; never shown publicly."
    )
    extra = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Every source key the model does not have a field for, so nothing is lost.",
    )
    editor_fields = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Fields an editor has set; imports never overwrite them.",
    )
    source_path = models.CharField(max_length=1000, blank=True, editable=False)
    source_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="SHA-256 of the source file's bytes."
    )
    record_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the normalised document: equal for equal content.",
    )
    imported_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["web_url"], condition=~Q(web_url=""), name="article_web_url_unique"
            ),
            models.CheckConstraint(
                condition=Q(quality__isnull=True) | Q(quality__gte=0), name="article_quality_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(heat__isnull=True) | Q(heat__gte=-1), name="article_heat_gte_minus_1"
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "-published_at"], name="article_public_latest"),
            models.Index(fields=["-published_at", "-id"], name="article_latest"),
            models.Index(fields=["provider", "-published_at"], name="article_provider_latest"),
            models.Index(fields=["source_hash"], name="article_source_hash"),
            # Lists show one article per story: its lead.
            models.Index(
                fields=["is_published", "is_story_lead", "-published_at"],
                name="article_public_leads",
            ),
            models.Index(fields=["story_url"], name="article_story_url"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("articles:article", kwargs={"slug": self.slug})

    @property
    def original_link(self) -> str:
        """Where the story itself is: the web URL, else the original URL."""
        return self.web_url or self.original_url


# The editorial fields that are values of the article itself, set by `editorial.decide`; an
# article's story is decided by moving the article (`stories.merge`, `stories.split`).
VALUE_FIELDS = (Article.EditorialField.IS_PUBLISHED.value, Article.EditorialField.QUALITY.value)


class ArticleTopic(models.Model):
    """An article's topic, in the order the feed listed them."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_topics")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="article_topics")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "topic"], name="article_topic_unique"),
        ]

    def __str__(self):
        return f"{self.article_id}: {self.topic_id}"


class RelatedItem(models.Model):
    """An article the feed lists as related, linked to our own copy when we have one."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_items")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=500)
    excerpt = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    web_url = models.URLField(max_length=2000, blank=True)
    amp_url = models.URLField("AMP URL", max_length=2000, blank=True)
    cdn_amp_url = models.URLField("AMP cache URL", max_length=2000, blank=True)
    type = models.CharField(max_length=50, blank=True)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="related_items"
    )
    provider_name = models.CharField(max_length=200, blank=True)
    quality = models.PositiveIntegerField(null=True, blank=True)
    url_key = models.CharField(
        max_length=2048, blank=True, help_text="Canonical web URL, matched to Article.source_key."
    )
    linked_article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        help_text="Our own article with the same URL, when we have it.",
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"], name="related_item_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(quality__isnull=True) | Q(quality__gte=0),
                name="related_item_quality_gte_0",
            ),
        ]
        indexes = [models.Index(fields=["url_key"], name="related_item_url_key")]

    def __str__(self):
        return self.title


class Image(models.Model):
    """An image of an article, of a related item, or a provider's logo."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead image"
        LOGO = "logo", "Provider logo"

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="images"
    )
    related_item = models.ForeignKey(
        RelatedItem, null=True, blank=True, on_delete=models.CASCADE, related_name="images"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="logos"
    )
    role = models.CharField(
        max_length=10,
        choices=Role.choices,
        default=Role.LEAD,
        help_text="On an article, a logo is the provider's logo as that article's feed gave it.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    url = models.CharField(max_length=2000, help_text="Absolute http(s) URL or site-relative path.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    is_cached = models.BooleanField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(article__isnull=False, related_item__isnull=True, provider__isnull=True)
                    | Q(article__isnull=True, related_item__isnull=False, provider__isnull=True)
                    | Q(article__isnull=True, related_item__isnull=True, provider__isnull=False)
                ),
                name="image_has_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=(Q(width__isnull=True) | Q(width__gte=0))
                & (Q(height__isnull=True) | Q(height__gte=0)),
                name="image_size_gte_0",
            ),
        ]

    def __str__(self):
        return self.url


class EditorialChange(models.Model):
    """One change an editor made to an article's editorial field: who, when, from what to
    what, through which tool, and why. Written only by `articles.editorial`."""

    class Via(models.TextChoices):
        ADMIN_LIST = "admin-list", "Admin list"
        ADMIN_FORM = "admin-form", "Admin change page"
        ADMIN_ACTION = "admin-action", "Admin bulk action"
        API = "api", "API"

    # PROTECT: an article with a history of decisions is not deleted with it.
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="editorial_changes")
    field = models.CharField(max_length=20, choices=Article.EditorialField.choices)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="editorial_changes",
    )
    # Who it was, kept when the account is later deleted.
    username = models.CharField(max_length=150)
    via = models.CharField(max_length=20, choices=Via.choices)
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-changed_at"], name="editorial_change_article"),
        ]

    def __str__(self):
        return f"{self.username} set {self.field} of {self.article_id} to {self.new_value}"
