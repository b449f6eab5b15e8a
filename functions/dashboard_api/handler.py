"""dashboard_api: the FastAPI app behind API Gateway, through Mangum."""

from nija.api.dashboard_app import create_dashboard_app
from nija.api.lambda_entry import api_handler

handler = api_handler(create_dashboard_app)
