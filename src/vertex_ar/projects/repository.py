from __future__ import annotations

from vertex_ar.core.tenancy import ScopedRepository
from vertex_ar.projects.models import Project


class ProjectRepository(ScopedRepository[Project]):
    model = Project
    label = "project"
