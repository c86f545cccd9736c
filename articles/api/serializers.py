"""How articles, topics and providers look as JSON.

The serializers' fields declare the representation (for the OpenAPI schema and for the
reader); articles are then written out by hand in `ArticleSerializer.to_representation`
from plain rows (dicts of queries.ARTICLE_COLUMNS, not model instances), their children
loaded in three batched queries for a whole page (`load_children`). Serializing a page of
20 articles field by field through DRF's nested serializers cost several times the rest of
the request together (see the closing note of the API issue and `make bench`).

What is never here: `secured`, `extra`, the source bookkeeping, or any unpublished
article's slug (related items name a local article only when it is published).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.functional import cached_property
from rest_framework import serializers

from ..models import EDITOR_MAX_QUALITY, Image, Provider, RelatedItem, Topic
from ..prepared import PreparedQuery
from ..queries import RELATED, TOPICS
from ..stories import coverage
from ..templatetags.newsroom import markdown, slug_urls


def absolute_urls(request, viewname: str):
    """slug -> the absolute URL of `viewname` for that slug: one reverse() per process
    (slug_urls), however many rows a page lists."""
    path = slug_urls(viewname)
    root = request.build_absolute_uri("/")[:-1] if request else ""
    return lambda slug: root + path(slug)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as DRF writes date-times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ProviderRefSerializer(serializers.Serializer):
    slug = serializers.SlugField(allow_null=True)
    name = serializers.CharField(help_text="The provider's name as the article's feed gave it.")
    domain = serializers.CharField(allow_null=True)


class TopicRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ImageSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Absolute http(s) URL or a path on the provider's site.")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=Image.Role.choices)


class RelatedItemSerializer(serializers.Serializer):
    title = serializers.CharField()
    excerpt = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    web_url = serializers.CharField()
    amp_url = serializers.CharField()
    cdn_amp_url = serializers.CharField()
    type = serializers.CharField()
    quality = serializers.IntegerField(allow_null=True)
    provider = ProviderRefSerializer(allow_null=True)
    slug = serializers.SlugField(
        allow_null=True,
        help_text="Our own article with the same URL, when it is published here.",
    )
    images = ImageSerializer(many=True)


class ArticleListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        articles = list(data)
        load_children(articles)
        return [self.child.to_representation(article) for article in articles]


class ArticleSerializer(serializers.Serializer):
    """An article as API clients see it (the same in the list and on its own)."""

    slug = serializers.SlugField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="The article's page on this site.")
    title = serializers.CharField(read_only=True)
    excerpt = serializers.CharField(read_only=True)
    body = serializers.CharField(
        read_only=True, help_text="Sanitised HTML (in-house articles); empty for feed articles."
    )
    category = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    original_url = serializers.CharField(read_only=True)
    web_url = serializers.CharField(read_only=True)
    amp_url = serializers.CharField(read_only=True)
    cdn_amp_url = serializers.CharField(read_only=True)
    quality = serializers.IntegerField(
        allow_null=True,
        min_value=0,
        max_value=EDITOR_MAX_QUALITY,
        help_text=f"Editorial score, 0 to {EDITOR_MAX_QUALITY} when set by an editor "
        "(feeds may send more); null: not scored.",
    )
    heat = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Reader interest; -1: not measured."
    )
    is_published = serializers.BooleanField(help_text="Only published articles are public.")
    provider = ProviderRefSerializer(read_only=True, allow_null=True)
    topics = TopicRefSerializer(many=True, read_only=True)
    images = ImageSerializer(many=True, read_only=True)
    related = RelatedItemSerializer(many=True, read_only=True)
    story = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Its story: the articles that report the same news, from this provider or "
        "others (null until grouped).",
    )
    other_coverage = serializers.ListField(
        child=serializers.SlugField(),
        read_only=True,
        help_text="Slugs of the story's other published articles.",
    )

    class Meta:
        list_serializer_class = ArticleListSerializer

    @cached_property
    def article_url(self):
        return absolute_urls(self.context.get("request"), "articles:article")

    def to_representation(self, article: dict) -> dict:
        """`article`: a row of queries.ARTICLE_COLUMNS."""
        if "api_topics" not in article:
            load_children([article])
        has_provider = article["provider_id"] is not None
        return {
            "slug": article["slug"],
            "url": self.article_url(article["slug"]),
            "title": article["title"],
            "excerpt": article["excerpt"],
            "body": str(markdown(article["body"])) if article["body"] else "",
            "category": article["category"],
            "type": article["type"],
            "published_at": iso(article["published_at"]),
            "original_url": article["original_url"],
            "web_url": article["web_url"],
            "amp_url": article["amp_url"],
            "cdn_amp_url": article["cdn_amp_url"],
            "quality": article["quality"],
            "heat": article["heat"],
            "is_published": article["is_published"],
            "provider": None
            if not has_provider and not article["provider_name"]
            else {
                "slug": article["provider__slug"],
                "name": article["provider_name"] or article["provider__name"] or "",
                "domain": article["provider__domain"],
            },
            "topics": article["api_topics"],
            "images": article["api_images"],
            "related": article["api_related"],
            "story": article["story_id"],
            "other_coverage": [other.slug for other in coverage(article["other_coverage"])],
        }


class StrictTypes:
    """JSON's own types only: DRF would also take "true", 1 or "5" for a boolean, a number
    or a string, which the schema does not promise and a typo should not pass for."""

    json_types: tuple[type, ...]

    def to_internal_value(self, data):
        if type(data) not in self.json_types:
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONBooleanField(StrictTypes, serializers.BooleanField):
    json_types = (bool,)


class JSONIntegerField(StrictTypes, serializers.IntegerField):
    json_types = (int,)


class JSONStringField(StrictTypes, serializers.CharField):
    json_types = (str,)


class ReasonField(JSONStringField):
    """Free text for the history: characters no database column can hold (NUL, halves of
    surrogate pairs) are dropped rather than refusing the editor's decision."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
        return super().to_internal_value(data)


class EditorialSerializer(serializers.Serializer):
    """What an editor may change through the API (PATCH): nothing else is writable."""

    is_published = JSONBooleanField(required=False)
    quality = JSONIntegerField(
        required=False, allow_null=True, min_value=0, max_value=EDITOR_MAX_QUALITY
    )
    reason = ReasonField(
        required=False,
        allow_blank=True,
        max_length=500,
        write_only=True,
        help_text="Why; kept in the editorial history.",
    )

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {
                    name: ["Read-only: editors may change only is_published and quality."]
                    for name in sorted(unknown)
                }
            )
        return attrs


def forbid_unknown_fields(result, generator, request, public):
    """drf-spectacular postprocessing hook: the schema says what EditorialSerializer
    enforces, that a PATCH may carry no other field."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.startswith("PatchedEditorial"):
            component["additionalProperties"] = False
    return result


class ErrorSerializer(serializers.Serializer):
    """Every API error has this shape."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(help_text="A stable code, e.g. invalid, not_found, throttled.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per parameter or field: what is wrong with it and how to fix it.",
    )


def _image(row: dict) -> dict:
    return {
        "url": row["url"],
        "width": row["width"],
        "height": row["height"],
        "title": row["title"],
        "role": row["role"],
    }


IMAGES = PreparedQuery(
    lambda ids: (
        # A subquery, not a join: with a join, SQLite scans every image to answer the OR.
        Image.objects.filter(
            Q(article_id__in=ids)
            | Q(related_item_id__in=RelatedItem.objects.filter(article_id__in=ids).values("id"))
        )
        .order_by("position", "id")
        .values("article_id", "related_item_id", "url", "width", "height", "title", "role")
    )
)


def load_children(articles: list[dict]) -> None:
    """Add topics, images and related items to a page of article rows (as api_topics,
    api_images, api_related), and when the articles their related items link to last
    changed (api_linked_changes): three queries whatever the page's size, prepared once
    (see prepared.py)."""
    ids = [article["id"] for article in articles]
    topics = defaultdict(list)
    for row in TOPICS.rows(ids):
        topics[row["article_id"]].append({"slug": row["topic__slug"], "name": row["topic__name"]})

    related = defaultdict(list)
    related_by_id = {}
    linked_changes = defaultdict(list)  # the linked articles' updated_at, by article
    for row in RELATED.rows(ids):
        item = {
            "title": row["title"],
            "excerpt": row["excerpt"],
            "published_at": iso(row["published_at"]),
            "web_url": row["web_url"],
            "amp_url": row["amp_url"],
            "cdn_amp_url": row["cdn_amp_url"],
            "type": row["type"],
            "quality": row["quality"],
            "provider": None
            if not (row["provider_name"] or row["provider__domain"])
            else {
                "slug": row["provider__slug"],
                "name": row["provider_name"],
                "domain": row["provider__domain"],
            },
            "slug": row["local_slug"],
            "images": [],
        }
        related[row["article_id"]].append(item)
        related_by_id[row["id"]] = item
        if row["linked_article__updated_at"]:
            linked_changes[row["article_id"]].append(row["linked_article__updated_at"])

    images = defaultdict(list)
    for row in IMAGES.rows(ids):
        if row["article_id"] is not None:
            images[row["article_id"]].append(_image(row))
        else:
            related_by_id[row["related_item_id"]]["images"].append(_image(row))

    for article in articles:
        pk = article["id"]
        article["api_topics"] = topics[pk]
        article["api_images"] = images[pk]
        article["api_related"] = related[pk]
        article["api_linked_changes"] = linked_changes[pk]


def last_modified(article: dict) -> datetime:
    """When what an article's representation shows last changed: the article itself (its
    import or an editor's decision, which also replace its topics, images and related
    items), or an article its related items link to (whose publication shows or hides it).
    `article`: a row of queries.article_row(), its children loaded."""
    return max([article["updated_at"], *article["api_linked_changes"]])


class TopicSerializer(serializers.ModelSerializer):
    page = "articles:topic"  # the view of its page on this site
    url = serializers.SerializerMethodField(help_text="Its page on this site.")
    articles = serializers.IntegerField(
        source="published", read_only=True, help_text="How many published articles it has."
    )

    class Meta:
        model = Topic
        fields = ["slug", "name", "url", "articles"]

    def get_url(self, instance) -> str:
        return self.page_url(instance.slug)

    @cached_property
    def page_url(self):
        return absolute_urls(self.context.get("request"), self.page)


class ProviderSerializer(TopicSerializer):
    page = "articles:provider"

    class Meta:
        model = Provider
        fields = ["slug", "name", "domain", "url", "articles"]
