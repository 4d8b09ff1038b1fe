"""The seed of the template ``default``: created once, kept when still valid, upgraded when not."""
import sqlalchemy as sa

from appraisal.bootstrap import seed_default_template
from appraisal.models import Base, Template


def test_the_default_template_is_created_kept_and_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'appraisal.db'}"
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    assert seed_default_template(url) == "created"
    assert seed_default_template(url) == "kept"
    with engine.begin() as connection:  # an older shape: dimensions without weights
        connection.execute(sa.update(Template.__table__).values(definition={"dimensions": [{"key": "x"}]}))
    assert seed_default_template(url) == "upgraded"
    with engine.connect() as connection:
        definition = connection.execute(sa.select(Template.definition)).scalar_one()
    assert len(definition["dimensions"]) == 4
    engine.dispose()
