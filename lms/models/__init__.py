"""The SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .base import Base, utcnow
from .certificate import Certificate, HolderCheck, SigningKey, SupersededCredential
from .content import Asset, Course, CourseVersion, Lesson, Question, Quiz
from .learning import Enrolment, LessonProgress, QuizAttempt
from .official import GRANT_ROLES, AuditEvent, OfficialGrant
from .program import Program, ProgramCourse, ProgramGroup, ProgramVersion
from .report import QuarterlyReport
from .session import LoginSession, PendingIdentity
from .unit import Unit, UnitChange
from .user import ROLES, User

__all__ = [
    "Asset", "Base", "Certificate", "HolderCheck", "SigningKey", "SupersededCredential", "Course", "CourseVersion",
    "Enrolment", "Lesson", "LessonProgress", "LoginSession", "PendingIdentity", "Program", "ProgramCourse",
    "ProgramGroup", "ProgramVersion", "QuarterlyReport", "Question", "Quiz", "QuizAttempt", "ROLES", "Unit",
    "UnitChange", "User", "utcnow",
]
__all__ += ["AuditEvent", "GRANT_ROLES", "OfficialGrant"]  # officials and the audit log (official.py)
