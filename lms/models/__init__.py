"""The SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .base import Base, utcnow
from .certificate import Certificate, HolderCheck, SigningKey, SupersededCredential
from .content import Asset, Course, CourseVersion, CourseVersionTag, Lesson, Question, Quiz, catalog_tags
from .learning import Enrolment, LessonProgress, QuizAttempt
from .official import GRANT_ROLES, AuditEvent, OfficialGrant
from .program import Program, ProgramCourse, ProgramGroup, ProgramVersion
from .quarterly import QuarterlyReport
from .report import MEASURES, ReportFact, ReportPerson, ReportPopulation, ReportSummary, ReportTarget
from .session import LoginSession, PendingIdentity
from .unit import Unit, UnitChange
from .user import ROLES, User

__all__ = [
    "Asset", "AuditEvent", "Base", "Certificate", "Course", "CourseVersion", "CourseVersionTag", "Enrolment", "GRANT_ROLES",
    "HolderCheck", "Lesson", "LessonProgress", "LoginSession", "MEASURES", "OfficialGrant", "PendingIdentity",
    "Program", "ProgramCourse", "ProgramGroup", "ProgramVersion", "QuarterlyReport", "Question", "Quiz",
    "QuizAttempt", "ROLES", "ReportFact", "ReportPerson", "ReportPopulation", "ReportSummary", "ReportTarget",
    "SigningKey", "SupersededCredential", "Unit", "UnitChange", "User", "catalog_tags", "utcnow",
]
