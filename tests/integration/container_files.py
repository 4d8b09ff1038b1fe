"""The container files the static tests read: paths, and the Dockerfile's instructions."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE_FILE = REPO / "docker-compose.yml"


def dockerfile_instructions():
    """``[(INSTRUCTION, arguments)]`` of the Dockerfile: comments dropped, continuations joined,
    white space folded."""
    result, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        result.append((keyword.upper(), " ".join(arguments.split())))
        current = ""
    return result
