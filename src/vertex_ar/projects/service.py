from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import changed, record
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.models import Project
from vertex_ar.projects.repository import ProjectRepository
from vertex_ar.projects.schemas import ProjectCreate, ProjectUpdate
from vertex_ar.trash.operations import trash_project


class ProjectService:
    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject
        self.repository = ProjectRepository(session, subject)

    async def list(self, page: PageParams, company_id: int | None) -> tuple[Sequence[Project], int]:
        stmt = self.repository.select()
        if company_id is not None:
            stmt = stmt.where(Project.company_id == company_id)
        return await self.repository.page(stmt, limit=page.limit, offset=page.offset)

    async def get(self, project_id: int) -> Project:
        return await self.repository.get(project_id)

    async def create(self, data: ProjectCreate) -> Project:
        self.subject.require_editor()
        company_id = self.subject.target_company(data.company_id)
        await CompanyRepository(self.session, self.subject).get(company_id)
        project = await self.repository.add(
            Project(company_id=company_id, name=data.name, description=data.description)
        )
        record(self.session, self.subject, "create", kind="project", item_id=project.id,
               company_id=company_id, label=project.name)  # fmt: skip
        await self.session.commit()
        return project

    async def update(self, project_id: int, data: ProjectUpdate) -> Project:
        self.subject.require_editor()
        project = await self.repository.get(project_id)
        for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(project, field, value)
        record(self.session, self.subject, "update", kind="project", item_id=project.id,
               company_id=project.company_id, label=changed(project.name, data))  # fmt: skip
        await self.session.commit()
        return project

    async def delete(self, project_id: int) -> None:
        """Move the project to the trash with its content (the viewer answers 410 for it)."""
        self.subject.require_editor()
        project = await self.repository.get(project_id)
        await trash_project(self.session, project, self.subject)
        record(self.session, self.subject, "delete", kind="project", item_id=project.id,
               company_id=project.company_id, label=project.name)  # fmt: skip
        await self.session.commit()
