"""Live handwritten-digit reader (Streamlit). The real app lands with the app issue."""
import streamlit as st

st.set_page_config(page_title="Digit reader", layout="wide")
st.title("Live handwritten-digit reader")
st.write("Live camera, freeze & crop, and upload are coming.")
