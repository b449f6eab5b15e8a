"""The HTTP layer: FastAPI apps that Mangum serves on Lambda and uvicorn serves locally."""
