"""trading_api: the FastAPI app behind API Gateway, through Mangum."""

from nija.api.lambda_entry import api_handler
from nija.api.trading_app import create_trading_app

handler = api_handler(create_trading_app)
