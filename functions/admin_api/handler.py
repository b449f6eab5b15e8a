"""admin_api: the FastAPI app behind API Gateway, through Mangum."""

from nija.api.admin_app import create_admin_app
from nija.api.lambda_entry import api_handler

handler = api_handler(create_admin_app)
