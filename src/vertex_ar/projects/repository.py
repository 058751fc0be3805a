from __future__ import annotations

from vertex_ar.core.errors import Conflict
from vertex_ar.core.tenancy import ScopedRepository
from vertex_ar.projects.models import Project


class ProjectRepository(ScopedRepository[Project]):
    model = Project
    label = "project"

    async def get_active(self, project_id: int) -> Project:
        """The project, to add content to: 404 if unseen, 409 while it is switched off."""
        project = await self.get(project_id)
        if not project.active:
            raise Conflict(f"project {project_id} is inactive; activate it to add content")
        return project
